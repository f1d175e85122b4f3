package dev.ioasid.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

import org.junit.Test;

/**
 * Runs every scenario script of runtime/scenarios in the exported jar, as the README says, and checks its exit
 * code and the lines that show what it demonstrates.
 */
public class ScenarioIT {

    static Path scenarios() {
        return Path.of(System.getProperty("ioasid.basedir"), "scenarios");
    }

    static ExecutableJarIT.Run run(String name) throws Exception {
        Path script = scenarios().resolve(name);
        assertTrue("scenario " + script + " exists", Files.isRegularFile(script));
        return ExecutableJarIT.runJar(List.of("-Dorg.jline.terminal.dumb=true", "-Dioasid.script=" + script), null,
                Files.createTempDirectory("ioasid-scenario"));
    }

    static void expectLine(ExecutableJarIT.Run r, String regex) {
        assertTrue("a line matches " + regex + " in:\n" + r.all(), Pattern.compile(regex, Pattern.MULTILINE).matcher(r.out()).find());
    }

    @Test
    public void everyScenarioIsCovered() {
        File[] all = scenarios().toFile().listFiles((d, n) -> n.endsWith(".gosh"));
        assertTrue(all != null && all.length > 0);
        List<String> covered = List.of("pasid-topology.gosh", "iopf.gosh", "nested-vtd.gosh", "nested-smmuv3.gosh");
        for (File f : all) {
            assertTrue("ScenarioIT checks " + f.getName(), covered.contains(f.getName()) || Arrays.asList(extra()).contains(f.getName()));
        }
    }

    /** Scenarios of backends that may not be in this build (their own tests check them). */
    static String[] extra() {
        return new String[0];
    }

    @Test
    public void pasidTopology() throws Exception {
        ExecutableJarIT.Run r = run("pasid-topology.gosh");
        assertEquals(r.all(), 0, r.exit());
        expectLine(r, "^wq1 enabled, PASID \\d+$");
        expectLine(r, "^WQ1 copy: success, 16 bytes$");
        expectLine(r, "^WQ2 copy: success, 16 bytes$");
        expectLine(r, "^WQ3 copy: success, 16 bytes$");
        expectLine(r, "^the copies, read back: ok 686f737420627566666572 ok 564d31206d656d6f7279 ok 564d32206d656d6f7279$");
        expectLine(r, "^WQ3 \\(VM2\\) copies from the page of VM1: page fault at 0x2000000");
        expectLine(r, "^WQ1  \\[RID1\\]\\s+reads ok 686f737420627566666572$");
        expectLine(r, "^WQ2  \\[RID1, PASID-x\\] reads ok 564d31206d656d6f7279$");
        expectLine(r, "^WQ3  \\[RID1, PASID-y\\] reads ok 564d32206d656d6f7279$");
        expectLine(r, "^\\s+\\[RID2\\]\\s+reads ok 564d32206d656d6f7279$");
        expectLine(r, "^VM1  \\[RID1, PASID-x\\] reads its own page .*: ok 564d3120736563726574$");
        expectLine(r, "^VM2  \\[RID1, PASID-y\\] tries the page of VM1: fault ");
        expectLine(r, "^VM2  \\[RID2\\]\\s+tries the page of VM1: fault ");
        expectLine(r, "^context host$");
        expectLine(r, "^  RID 0000:00:01.0 \\(acc0");
        expectLine(r, "^    \\|     \\|-- \\[0000:00:01.0, PASID \\d+\\]$");
        expectLine(r, "^    \\|     \\|-- \\[0000:00:02.0\\]$");
    }

    @Test
    public void nestedVtd() throws Exception {
        ExecutableJarIT.Run r = run("nested-vtd.gosh");
        assertEquals(r.all(), 0, r.exit());
        String oldPage = "6775657374207061676520617420475041203078323030303030"; // "guest page at GPA 0x200000"
        String newPage = "6775657374207061676520617420475041203078323031303030"; // "guest page at GPA 0x201000"
        expectLine(r, "^GVA 0x70000000 through the PASID reads: ok " + oldPage + "$");
        expectLine(r, "^before the guest invalidates, the IOTLB still has: ok " + oldPage + "$");
        expectLine(r, "^invalidated 1 entry$");
        expectLine(r, "^after the invalidation: ok " + newPage + "$");
        expectLine(r, "^0000:00:04.0 dsa0 pasid \\d+ iova 0x70000000 on unit vtd0 \\(vtd\\)$");
        expectLine(r, "^  RTADDR_REG: RTA=0x[0-9a-f]+ TTM=01 \\(scalable mode\\)$");
        expectLine(r, "^  scalable-mode context entry \\(devfn 0x20\\) @ 0x[0-9a-f]+: P=1 .*PASIDE=1 ");
        expectLine(r, "^  PASID entry \\d+ @ 0x[0-9a-f]+: P=1 .*PGTT=3 \\(nested\\) .*FSPTPTR=0x100000$");
        expectLine(r, "^  SS-PDE\\[0\\] \\(nested: FS-PML4E\\[0\\] at GPA 0x100000\\) @ ");
        expectLine(r, "^  FS-PML4E\\[0\\] @ 0x[0-9a-f]+: GPA=0x100000 raw=0x0000000000101027 P=1 R/W=1 U/S=1 A=1 ");
        expectLine(r, "^  FS-PDE\\[384\\] @ 0x[0-9a-f]+: GPA=0x102c00 ");
        expectLine(r, "^  FS-PTE\\[0\\] @ 0x[0-9a-f]+: GPA=0x103000 raw=0x0000000000201027 .*ADDR=0x201000 maps=4K page$");
        expectLine(r, "^  SS-PDE\\[1\\] \\(nested: the output GPA 0x201000\\) @ ");
        expectLine(r, "^  output: HPA=0x[0-9a-f]+ page=4K$");
    }

    @Test
    public void nestedSmmuv3() throws Exception {
        ExecutableJarIT.Run r = run("nested-smmuv3.gosh");
        assertEquals(r.all(), 0, r.exit());
        expectLine(r, "^SSID 1 \\(process one\\) reads: ok 70726f63657373206f6e652064617461$"); // "process one data"
        expectLine(r, "^SSID 2 \\(process two\\) reads: ok 70726f636573732074776f2064617461$"); // "process two data"
        expectLine(r, "^no SSID \\(S1DSS terminate\\): fault F_STREAM_DISABLED ");
        expectLine(r, "^before the guest invalidates, the TLB still has: ok 70726f63657373206f6e652064617461$");
        expectLine(r, "^invalidated 1 entry$");
        expectLine(r, "^after the TLBI, SSID 1 reads: ok 70726f63657373206f6e65204e455721$"); // "process one NEW!"
        expectLine(r, "^SSID 2 is untouched: ok 70726f636573732074776f2064617461$");
        expectLine(r, "^0000:01:00.0 gpu0 pasid 1 iova 0x400000 on unit smmu0 \\(smmuv3\\)$");
        expectLine(r, "^  STE \\(StreamID 0x100\\) @ 0x[0-9a-f]+: V=1 Config=0b111 \\(S1\\+S2\\) S1Fmt=0 \\(linear\\) S1ContextPtr=0x10000 S1CDMax=2 ");
        expectLine(r, "^  CD \\(SSID 1\\) @ 0x[0-9a-f]+: IPA=0x10040 V=1 .*ASID=1 TTB0=0x20000 ");
        expectLine(r, "^  S2 level 2 descriptor\\[0\\] \\(nested: CD at IPA 0x10040\\) @ ");
        expectLine(r, "^  S1 level 3 descriptor\\[0\\] @ 0x[0-9a-f]+: IPA=0x23000 raw=0x0000000000102f47 type=page AP=01 ");
        expectLine(r, "^  S2 level 2 descriptor\\[0\\] \\(nested: the output IPA 0x102000\\) @ ");
        expectLine(r, "^  output: PA=0x[0-9a-f]+ page=4K$");
    }

    @Test
    public void iopf() throws Exception {
        ExecutableJarIT.Run r = run("iopf.gosh");
        assertEquals(r.all(), 0, r.exit());
        expectLine(r, "^cookie 1: device \\d+ pasid - group \\d+ r addr 0x2000000");
        expectLine(r, "^answered 1 SUCCESS$");
        expectLine(r, "^the DMA completes: ok 706167656420696e206f6e2064656d616e64$");
        expectLine(r, "^answered 2 INVALID$");
        expectLine(r, "^after INVALID: fault .*page response INVALID");
    }
}
