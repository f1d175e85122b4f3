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
        List<String> covered = List.of("pasid-topology.gosh", "iopf.gosh");
        for (File f : all) {
            assertTrue("ScenarioIT checks " + f.getName(), covered.contains(f.getName()) || Arrays.asList(extra()).contains(f.getName()));
        }
    }

    /** Scenarios of backends that may not be in this build (their own tests check them). */
    static String[] extra() {
        return new String[] { "nested-vtd.gosh", "nested-smmuv3.gosh" };
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
