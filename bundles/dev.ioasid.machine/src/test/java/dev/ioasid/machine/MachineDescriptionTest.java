package dev.ioasid.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.PciAddress;

class MachineDescriptionTest {

    private static IommuException parseError(String text) {
        IommuException e = assertThrows(IommuException.class, () -> MachineDescription.parse(text, "test.machine"));
        assertEquals(Errno.EINVAL, e.errno(), e.getMessage());
        return e;
    }

    /** The error is EINVAL, names source and line, and says what is wrong. */
    private static void assertLineError(String text, int line, String mentions) {
        IommuException e = parseError(text);
        assertTrue(e.getMessage().contains("test.machine:" + line + ":"), "names the line: " + e.getMessage());
        assertTrue(e.getMessage().contains(mentions), "mentions '" + mentions + "': " + e.getMessage());
    }

    // ---- the built-in machine ------------------------------------------------------------------------------

    @Test
    void builtInMachine() {
        MachineDescription d = MachineDescription.builtIn();
        assertEquals(64L << 30, d.memorySize());
        // the demo machine grows a unit per backend; the mock's part of it is fixed
        assertEquals(new UnitDescription("mock0", "mock", Map.of()), d.units().get(0));
        assertEquals(3, d.devices().stream().filter(x -> x.unit().equals("mock0")).count());
        assertTrue(d.devices().stream().allMatch(x -> d.units().stream().anyMatch(u -> u.id().equals(x.unit()))), "every device names a unit");

        PciDevice acc = d.devices().get(0);
        assertEquals(new PciAddress(0, 0, 1, 0), acc.address());
        assertEquals("acc0", acc.name());
        assertEquals("mock0", acc.unit());
        assertEquals(new DeviceCapabilities(20, true, true, true, true), acc.caps());
        assertTrue(acc.caps().hasPasid());
        assertEquals(Map.of("wqs", "4"), acc.properties());
        assertEquals("4", acc.property("wqs", "1"));
        assertEquals("x", acc.property("nothing", "x"));
        assertEquals(0x0008, acc.rid());
        assertEquals("pasid=20 ats pri exec priv", acc.caps().toString());

        PciDevice nic = d.devices().get(1);
        assertEquals(PciAddress.parse("0000:00:02.0"), nic.address());
        assertEquals("nic0", nic.name());
        assertEquals(DeviceCapabilities.NONE, nic.caps());
        assertFalse(nic.caps().hasPasid());
        assertEquals(Map.of(), nic.properties());
        assertEquals(0x0010, nic.rid());
        assertEquals("no-pasid", nic.caps().toString());
        assertEquals("0000:00:02.0 nic0", nic.toString());

        PciDevice vdpa = d.devices().get(2);
        assertEquals(PciAddress.parse("0000:00:03.0"), vdpa.address());
        assertEquals("vdpa0", vdpa.name());
        assertEquals(new DeviceCapabilities(20, false, false, false, false), vdpa.caps());
        assertEquals(Map.of("vdpa", "net"), vdpa.properties());
    }

    @Test
    void builtInMachineBuilds() {
        Machine m = new Machine(MachineDescription.builtIn());
        assertEquals(64L << 30, m.memory().size());
        assertEquals(0, m.frames().framesInUse());
        assertTrue(m.toString().startsWith("machine: 64 GiB, "), m.toString());
        assertEquals("acc0", m.device("acc0").name());
        assertEquals("nic0", m.device("0000:00:02.0").name());
        assertEquals(3, m.devicesBehind("mock0").size());
    }

    // ---- parsing -------------------------------------------------------------------------------------------

    @Test
    void fullExample() {
        String text = String.join("\n",
                "# a comment line",
                "",
                "memory 16M   # trailing comment",
                "unit vtd0 vtd profile=server sizes=2M",
                "unit smmu0 smmuv3",
                "device 0000:3a:1f.7 smmu0 name=gpu pasid=8 pri exec wqs=2 mode=x=y",
                "device 01:00.0 vtd0",
                "   device    0002:00:00.1   vtd0   ats   ");
        MachineDescription d = MachineDescription.parse(text, "x");
        assertEquals(16L << 20, d.memorySize());
        assertEquals(2, d.units().size());
        UnitDescription vtd = d.units().get(0);
        assertEquals("vtd0", vtd.id());
        assertEquals("vtd", vtd.vendor());
        assertEquals("server", vtd.property("profile", "client"));
        assertEquals("client", d.units().get(1).property("profile", "client"));
        assertEquals(2L << 20, vtd.longProperty("sizes", 0));
        assertEquals(7, vtd.longProperty("none", 7));

        PciDevice gpu = d.devices().get(0);
        assertEquals(new PciAddress(0, 0x3a, 0x1f, 7), gpu.address());
        assertEquals("gpu", gpu.name());
        assertEquals("smmu0", gpu.unit());
        assertEquals(new DeviceCapabilities(8, false, true, true, false), gpu.caps());
        assertEquals(Map.of("wqs", "2", "mode", "x=y"), gpu.properties());

        PciDevice plain = d.devices().get(1);
        assertEquals(new PciAddress(0, 1, 0, 0), plain.address());
        assertEquals("0000:01:00.0", plain.name(), "a device without name= is named by its address");
        assertEquals(DeviceCapabilities.NONE, plain.caps());

        PciDevice ats = d.devices().get(2);
        assertEquals(new PciAddress(2, 0, 0, 1), ats.address());
        assertEquals(new DeviceCapabilities(0, true, false, false, false), ats.caps());
    }

    @Test
    void emptyTextIsTheDefaultMemoryAndNothingElse() {
        MachineDescription d = MachineDescription.parse("", "empty");
        assertEquals(MachineDescription.DEFAULT_MEMORY, d.memorySize());
        assertTrue(d.units().isEmpty());
        assertTrue(d.devices().isEmpty());
        assertEquals(MachineDescription.DEFAULT_MEMORY, MachineDescription.parse("# only\n\n  \t\n", "c").memorySize());
    }

    @Test
    void windowsLineEndings() {
        MachineDescription d = MachineDescription.parse("memory 32M\r\nunit u0 mock\r\ndevice 00:01.0 u0 name=d\r\n", "crlf");
        assertEquals(32L << 20, d.memorySize());
        assertEquals("d", d.devices().get(0).name());
    }

    @Test
    void listsAreImmutable() {
        MachineDescription d = MachineDescription.parse("unit u0 mock", "x");
        assertThrows(UnsupportedOperationException.class, () -> d.units().clear());
        assertThrows(UnsupportedOperationException.class, () -> d.devices().clear());
    }

    // ---- sizes ---------------------------------------------------------------------------------------------

    @Test
    void sizes() {
        assertEquals(4096, MachineDescription.parseSize("4096"));
        assertEquals(4096, MachineDescription.parseSize("0x1000"));
        assertEquals(4096, MachineDescription.parseSize("0X1000"));
        assertEquals(4096, MachineDescription.parseSize("4K"));
        assertEquals(4096, MachineDescription.parseSize("4k"));
        assertEquals(16L << 20, MachineDescription.parseSize("16M"));
        assertEquals(16L << 20, MachineDescription.parseSize("16m"));
        assertEquals(64L << 30, MachineDescription.parseSize("64G"));
        assertEquals(1L << 40, MachineDescription.parseSize("1T"));
        assertEquals(16L << 20, MachineDescription.parseSize("0x10M"));
        assertEquals(42, MachineDescription.parseSize(" 42 "));
        assertEquals(0xffL << 30, MachineDescription.parseSize("0xffG"));
    }

    @Test
    void badSizes() {
        assertThrows(NumberFormatException.class, () -> MachineDescription.parseSize("12Q"));
        assertThrows(NumberFormatException.class, () -> MachineDescription.parseSize("M"));
        assertThrows(NumberFormatException.class, () -> MachineDescription.parseSize("0x"));
        assertThrows(ArithmeticException.class, () -> MachineDescription.parseSize("99999999T"));
    }

    @Test
    void memorySizesInTheFile() {
        assertEquals(1L << 40, MachineDescription.parse("memory 1T", "x").memorySize());
        assertEquals(16L << 20, MachineDescription.parse("memory 0x1000000", "x").memorySize());
        assertEquals(48L << 20, MachineDescription.parse("memory 48M", "x").memorySize());
        assertLineError("memory 8M", 1, "16M");
        assertLineError("memory 20M", 1, "16M");
        assertLineError("memory 0", 1, "16M");
        assertLineError("memory -16M", 1, "16M");
        assertLineError("\nmemory lots", 2, "lots");
        assertLineError("memory", 1, "memory <size>");
        assertLineError("memory 16M 32M", 1, "memory <size>");
        assertLineError("memory 99999999T", 1, "test.machine:1");
    }

    // ---- errors --------------------------------------------------------------------------------------------

    @Test
    void unknownStatement() {
        assertLineError("memory 16M\n\nfrobnicate 3", 3, "frobnicate");
    }

    @Test
    void unknownDeviceFlag() {
        assertLineError("unit u0 mock\ndevice 00:01.0 u0 turbo", 2, "turbo");
    }

    @Test
    void duplicateUnit() {
        assertLineError("unit u0 mock\n# comment\nunit u0 vtd", 3, "u0");
    }

    @Test
    void duplicateDevice() {
        // the same function written two ways
        assertLineError("unit u0 mock\ndevice 00:01.0 u0\ndevice 0000:00:01.0 u0 name=again", 3, "0000:00:01.0");
    }

    @Test
    void deviceNamingAnUndeclaredUnit() {
        assertLineError("device 00:01.0 nosuch", 1, "nosuch");
        assertLineError("device 00:01.0 later\nunit later mock", 1, "later");
    }

    @Test
    void badPciAddress() {
        assertLineError("unit u0 mock\ndevice 00:20.0 u0", 2, "00:20.0");
        assertLineError("unit u0 mock\ndevice 00:01.8 u0", 2, "00:01.8");
        assertLineError("unit u0 mock\ndevice nonsense u0", 2, "nonsense");
        assertLineError("unit u0 mock\ndevice 10000:00:01.0 u0", 2, "10000:00:01.0");
    }

    @Test
    void execOrPrivWithoutPasid() {
        assertLineError("unit u0 mock\ndevice 00:01.0 u0 exec", 2, "PASID");
        assertLineError("unit u0 mock\ndevice 00:01.0 u0 priv ats", 2, "PASID");
        assertLineError("unit u0 mock\ndevice 00:01.0 u0 priv pasid=0", 2, "PASID");
        assertTrue(MachineDescription.parse("unit u0 mock\ndevice 00:01.0 u0 exec pasid=1", "x").devices().get(0).caps().pasidExec());
    }

    @Test
    void badPasidWidth() {
        assertLineError("unit u0 mock\ndevice 00:01.0 u0 pasid=21", 2, "pasid");
        assertLineError("unit u0 mock\ndevice 00:01.0 u0 pasid=-1", 2, "pasid");
        assertLineError("unit u0 mock\ndevice 00:01.0 u0 pasid=wide", 2, "wide");
    }

    @Test
    void malformedStatements() {
        assertLineError("unit u0", 1, "unit <id> <vendor>");
        assertLineError("unit u0 mock profile", 1, "key=value");
        assertLineError("unit u0 mock\ndevice 00:01.0", 2, "device <segment:bus:dev.fn> <unit>");
    }

    @Test
    void errorsKeepTheFirstBadLine() {
        assertLineError("unit u0 mock\nbad one\nbad two", 2, "bad");
    }

    @Test
    void deviceCapabilitiesValidateWidth() {
        assertThrows(IllegalArgumentException.class, () -> new DeviceCapabilities(21, false, false, false, false));
        assertThrows(IllegalArgumentException.class, () -> new DeviceCapabilities(-1, false, false, false, false));
        assertEquals("pasid=5 ats", new DeviceCapabilities(5, true, false, false, false).toString());
    }

    // ---- files ---------------------------------------------------------------------------------------------

    @Test
    void loadFromAFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("my.machine");
        Files.writeString(file, "memory 32M\nunit u0 mock\ndevice 00:03.0 u0 name=x\n");
        MachineDescription d = MachineDescription.load(file);
        assertEquals(32L << 20, d.memorySize());
        assertEquals("x", d.devices().get(0).name());

        Files.writeString(file, "memory 32M\nbogus\n");
        IommuException e = assertThrows(IommuException.class, () -> MachineDescription.load(file));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains(file + ":2"), e.getMessage());
    }

    @Test
    void loadOfAMissingFileIsEnoent(@TempDir Path dir) {
        IommuException e = assertThrows(IommuException.class, () -> MachineDescription.load(dir.resolve("missing")));
        assertEquals(Errno.ENOENT, e.errno());
    }
}
