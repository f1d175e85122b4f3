package dev.ioasid.machine;

import static dev.ioasid.machine.PhysicalMemory.FRAME_SIZE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.PciAddress;

/** The machine's topology, unit ports and DMA through them. */
class DmaEngineTest {
    private static final String MACHINE = String.join("\n",
            "memory 64M",
            "unit u0 mock",
            "unit u1 vtd profile=server",
            "device 0000:00:01.0 u0 name=acc pasid=20 ats pri",
            "device 0000:00:03.0 u0 name=nic",
            "device 0000:00:02.0 u1 name=other");
    private static final PciAddress ACC = new PciAddress(0, 0, 1, 0);
    private static final PciAddress NIC = new PciAddress(0, 0, 3, 0);
    private static final PciAddress OTHER = new PciAddress(0, 0, 2, 0);
    private static final int RW = Access.READ | Access.WRITE;

    private Machine machine;
    private PhysicalMemory memory;
    private DmaEngine dma;
    private final List<long[]> allocated = new ArrayList<>();

    /** One request as the translator saw it. */
    private record Seen(PciDevice device, int pasid, long iova, int access) {
    }

    private final List<Seen> seen = new ArrayList<>();

    @BeforeEach
    void setUp() {
        machine = new Machine(MachineDescription.parse(MACHINE, "dma-test"));
        memory = machine.memory();
        dma = machine.dma();
    }

    @AfterEach
    void freeFrames() {
        for (long[] a : allocated) {
            machine.frames().free(a[0], a[1]);
        }
        assertEquals(0, machine.frames().framesInUse());
    }

    private long allocate(long frames) {
        long pa = machine.frames().allocate(frames, 1);
        allocated.add(new long[] { pa, frames });
        return pa;
    }

    private static void assertErrno(Errno errno, Executable call) {
        IommuException e = assertThrows(IommuException.class, call);
        assertEquals(errno, e.errno(), e.getMessage());
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 13 + seed + (i >>> 10));
        }
        return b;
    }

    /**
     * Identity-like translator: IOVA page {@code k} of {@code [0, pages << shift)} maps to {@code base + k << shift};
     * anything else faults with F_TRANSLATION. Records every request.
     */
    private Translator linear(long base, int pages, int shift, int allowed) {
        return (dev, pasid, iova, access) -> {
            seen.add(new Seen(dev, pasid, iova, access));
            long page = iova >>> shift;
            if (iova < 0 || page >= pages) {
                return new TranslationFault("u0", "F_TRANSLATION", 0x10, iova, pasid, access, false, new byte[] { 1, 2 },
                        "no mapping");
            }
            if ((access & ~allowed) != 0) {
                return new TranslationFault("u0", "F_PERMISSION", 0x13, iova, pasid, access, true, null, "denied");
            }
            return new TranslatedPage(base + (page << shift), shift, allowed);
        };
    }

    // ---- topology ------------------------------------------------------------------------------------------

    @Test
    void topology() {
        assertEquals(2, machine.units().size());
        assertEquals("vtd", machine.unit("u1").vendor());
        assertEquals("server", machine.unit("u1").property("profile", null));
        assertErrno(Errno.ENODEV, () -> machine.unit("u9"));
        assertErrno(Errno.ENODEV, () -> machine.port("u9"));
        assertSame(machine.port("u0"), machine.port("u0"));
        assertEquals("u0", machine.port("u0").unit().id());

        List<PciDevice> devices = machine.devices();
        assertEquals(List.of(ACC, OTHER, NIC), devices.stream().map(PciDevice::address).toList(), "address order");
        assertEquals(List.of("acc", "nic"), machine.devicesBehind("u0").stream().map(PciDevice::name).toList());
        assertEquals(List.of("other"), machine.devicesBehind("u1").stream().map(PciDevice::name).toList());
        assertTrue(machine.devicesBehind("u9").isEmpty());

        assertEquals(ACC, machine.device(ACC).address());
        assertEquals(ACC, machine.device("acc").address());
        assertEquals(NIC, machine.device("00:03.0").address());
        assertErrno(Errno.ENODEV, () -> machine.device(new PciAddress(0, 9, 0, 0)));
        assertErrno(Errno.ENODEV, () -> machine.device("0000:09:00.0"));
        assertErrno(Errno.EINVAL, () -> machine.device("nosuch"));
        assertEquals(64L << 20, machine.memory().size());
        assertEquals("machine: 0 GiB, 2 units, 3 devices", machine.toString());
    }

    // ---- blocked ports -------------------------------------------------------------------------------------

    @Test
    void undrivenUnitBlocksDma() {
        UnitPort port = machine.port("u0");
        assertFalse(port.isDriven());
        long pa = allocate(1);
        memory.store64(pa, 0x1122334455667788L);

        DmaResult r = dma.read(ACC, 5, pa, 8);
        assertFalse(r.ok());
        assertEquals(0, r.done());
        assertEquals(0, r.data().length);
        TranslationFault f = r.fault();
        assertEquals("NO_BACKEND", f.reason());
        assertEquals("u0", f.unit());
        assertEquals(pa, f.iova(), "never a bypass: the IOVA is not used as a physical address");
        assertEquals(5, f.pasid());
        assertEquals(Access.READ, f.access());
        assertFalse(f.recoverable());
        assertEquals(0, f.record().length);
        assertTrue(f.detail().contains("0000:00:01.0"), f.detail());
        assertTrue(f.isFault());

        DmaResult w = dma.write(NIC, Access.NO_PASID, pa, new byte[] { 1 });
        assertEquals("NO_BACKEND", w.fault().reason());
        assertNull(w.data());
        assertEquals(0x88, memory.load8(pa), "a blocked write writes nothing");

        assertEquals(2, port.blockedCount());
        List<TranslationFault> log = port.blockedLog();
        assertEquals(2, log.size());
        assertEquals(Access.READ, log.get(0).access());
        assertEquals(Access.WRITE, log.get(1).access());
        assertEquals(Access.NO_PASID, log.get(1).pasid());
        assertEquals(0, machine.port("u1").blockedCount(), "other units are not involved");
        assertTrue(r.toString().startsWith("fault NO_BACKEND after 0 bytes"), r.toString());
    }

    @Test
    void blockedLogIsBoundedOldestFirst() {
        UnitPort port = machine.port("u0");
        int n = UnitPort.LOG_DEPTH + 37;
        for (int i = 0; i < n; i++) {
            dma.read(ACC, Access.NO_PASID, (long) i * FRAME_SIZE, 4);
        }
        assertEquals(n, port.blockedCount());
        List<TranslationFault> log = port.blockedLog();
        assertEquals(UnitPort.LOG_DEPTH, log.size());
        assertEquals(37L * FRAME_SIZE, log.get(0).iova(), "the oldest entries were dropped");
        assertEquals((long) (n - 1) * FRAME_SIZE, log.get(UnitPort.LOG_DEPTH - 1).iova());
        for (int i = 1; i < log.size(); i++) {
            assertEquals(log.get(i - 1).iova() + FRAME_SIZE, log.get(i).iova());
        }
        log.clear(); // a copy
        assertEquals(UnitPort.LOG_DEPTH, port.blockedLog().size());
    }

    @Test
    void driveAndUndrive() {
        UnitPort port = machine.port("u0");
        long pa = allocate(1);
        Translator t = linear(pa, 1, 12, RW);
        port.drive(t);
        assertTrue(port.isDriven());
        assertSame(t, port.translator());
        assertTrue(dma.write(ACC, 1, 0, new byte[] { 9 }).ok());
        assertEquals(9, memory.load8(pa));

        port.undrive();
        assertFalse(port.isDriven());
        assertEquals("NO_BACKEND", dma.read(ACC, 1, 0, 1).fault().reason());
        port.drive(t);
        port.drive(null);
        assertFalse(port.isDriven(), "driving with null blocks");
        assertEquals("NO_BACKEND", dma.read(ACC, 1, 0, 1).fault().reason());
        assertEquals(2, port.blockedCount());
        assertEquals(1, seen.size(), "the translator saw only the request made while it drove the port");
    }

    // ---- DMA through a driven port -------------------------------------------------------------------------

    @Test
    void writeAndReadPageByPage() {
        long pa = allocate(4);
        machine.port("u0").drive(linear(pa, 4, 12, RW));
        byte[] data = pattern(2 * FRAME_SIZE, 3);

        DmaResult w = dma.write(ACC, 7, 100, data);
        assertTrue(w.ok(), w.toString());
        assertEquals(data.length, w.done());
        assertEquals(0, w.data().length);
        assertArrayEquals(data, memory.read(pa + 100, data.length));
        assertEquals(0, memory.load8(pa + 99));
        assertEquals(0, memory.load8(pa + 100 + data.length));
        // one translation per page touched: [100, 4096), [4096, 8192), [8192, 8292)
        assertEquals(List.of(100L, (long) FRAME_SIZE, 2L * FRAME_SIZE), seen.stream().map(Seen::iova).toList());
        for (Seen s : seen) {
            assertEquals(7, s.pasid());
            assertEquals(Access.WRITE, s.access());
            assertEquals("acc", s.device().name());
        }

        seen.clear();
        DmaResult r = dma.read(ACC, 7, 100, data.length);
        assertTrue(r.ok());
        assertEquals(data.length, r.done());
        assertArrayEquals(data, r.data());
        assertEquals(3, seen.size());
        assertEquals(Access.READ, seen.get(0).access());
        assertEquals("ok", w.toString());
        assertTrue(r.toString().startsWith("ok "));
    }

    @Test
    void pagesAreTranslatedIndependently() {
        // 2 KiB pages mapped in reverse order: IOVA page k goes to physical page (3 - k)
        long pa = allocate(2);
        int shift = 11;
        machine.port("u0").drive((dev, pasid, iova, access) -> {
            seen.add(new Seen(dev, pasid, iova, access));
            long k = iova >>> shift;
            return k < 4 ? new TranslatedPage(pa + ((3 - k) << shift), shift, RW)
                    : new TranslationFault("u0", "F_TRANSLATION", 0x10, iova, pasid, access, false, null, "");
        });
        byte[] data = pattern(4 << shift, 1);
        DmaResult w = dma.write(ACC, Access.NO_PASID, 0, data);
        assertTrue(w.ok());
        assertEquals(4, seen.size());
        for (int k = 0; k < 4; k++) {
            assertArrayEquals(Arrays.copyOfRange(data, k << shift, (k + 1) << shift),
                    memory.read(pa + ((3 - k) << shift), 1 << shift), "page " + k);
        }
        // a request crossing the 2 KiB boundary between IOVA pages 1 and 2
        DmaResult r = dma.read(ACC, Access.NO_PASID, (2 << shift) - 3, 6);
        assertArrayEquals(Arrays.copyOfRange(data, (2 << shift) - 3, (2 << shift) + 3), r.data());
    }

    @Test
    void faultMidTransferReportsBytesDone() {
        long pa = allocate(4);
        machine.port("u0").drive(linear(pa, 4, 12, RW));
        long start = 4L * FRAME_SIZE - 96; // 96 bytes before the end of the mapped IOVA range
        byte[] data = pattern(200, 5);

        DmaResult w = dma.write(ACC, 3, start, data);
        assertFalse(w.ok());
        assertEquals(96, w.done());
        assertNull(w.data());
        assertEquals("F_TRANSLATION", w.fault().reason());
        assertEquals(0x10, w.fault().code());
        assertEquals(4L * FRAME_SIZE, w.fault().iova(), "the fault is at the first byte of the unmapped page");
        assertArrayEquals(new byte[] { 1, 2 }, w.fault().record());
        assertArrayEquals(Arrays.copyOf(data, 96), memory.read(pa + start, 96), "the earlier page has moved");
        assertEquals("fault F_TRANSLATION after 96 bytes: " + w.fault(), w.toString());

        DmaResult r = dma.read(ACC, 3, start, 200);
        assertEquals(96, r.done());
        assertArrayEquals(Arrays.copyOf(data, 96), r.data(), "a faulted read returns the bytes it got");

        DmaResult first = dma.read(ACC, 3, 5L * FRAME_SIZE, 10);
        assertEquals(0, first.done());
        assertEquals(0, first.data().length);
    }

    @Test
    void permissionFaultCarriesTheRequestedAccess() {
        long pa = allocate(1);
        machine.port("u0").drive(linear(pa, 1, 12, Access.READ));
        memory.store8(pa + 1, 0x77);
        DmaResult r = dma.read(ACC, 2, 1, 1);
        assertTrue(r.ok());
        assertEquals(0x77, r.data()[0] & 0xff);

        DmaResult w = dma.write(ACC, 2, 1, new byte[] { 1 });
        assertEquals("F_PERMISSION", w.fault().reason());
        assertTrue(w.fault().recoverable());
        assertFalse(w.fault().unrecoverable().recoverable());
        assertEquals("F_PERMISSION", w.fault().unrecoverable().reason());
        assertEquals(Access.WRITE, w.fault().access());
        assertEquals(0x77, memory.load8(pa + 1));

        DmaResult x = dma.read(ACC, 2, 1, 1, Access.EXEC | Access.PRIV);
        assertEquals(Access.READ | Access.EXEC | Access.PRIV, x.fault().access());
        assertEquals(Access.READ | Access.EXEC | Access.PRIV, seen.get(seen.size() - 1).access());
        assertTrue(x.fault().toString().contains("rxp"), x.fault().toString());
        DmaResult wx = dma.write(ACC, 2, 1, new byte[1], Access.PRIV);
        assertEquals(Access.WRITE | Access.PRIV, wx.fault().access());
    }

    @Test
    void translationOutsideMemoryIsABusErrorFault() {
        long pa = allocate(1);
        long size = memory.size();
        machine.port("u0").drive((dev, pasid, iova, access) -> iova < FRAME_SIZE
                ? new TranslatedPage(pa, 12, RW)
                : new TranslatedPage(size, 12, RW)); // page 1 and beyond point past the end of memory

        DmaResult w = dma.write(ACC, 4, 10, pattern(FRAME_SIZE, 2));
        assertFalse(w.ok());
        assertEquals(FRAME_SIZE - 10, w.done());
        assertEquals("BUS_ERROR", w.fault().reason());
        assertEquals("u0", w.fault().unit());
        assertEquals(FRAME_SIZE, w.fault().iova());
        assertEquals(4, w.fault().pasid());
        assertEquals(Access.WRITE, w.fault().access());
        assertNull(w.data());
        assertArrayEquals(Arrays.copyOf(pattern(FRAME_SIZE, 2), FRAME_SIZE - 10), memory.read(pa + 10, FRAME_SIZE - 10));

        DmaResult r = dma.read(ACC, 4, FRAME_SIZE + 5, 8);
        assertEquals(0, r.done());
        assertEquals(0, r.data().length);
        assertEquals("BUS_ERROR", r.fault().reason());
    }

    @Test
    void translationToNegativeAddressIsABusErrorFault() {
        machine.port("u0").drive((dev, pasid, iova, access) -> new TranslatedPage(-1L << 12, 12, RW));
        DmaResult r = dma.read(ACC, Access.NO_PASID, 0, 4);
        assertEquals("BUS_ERROR", r.fault().reason());
        assertEquals(0, r.done());
    }

    @Test
    void hugeTranslatedPage() {
        long pa = machine.frames().allocate(512, 512); // a 2 MiB frame run
        allocated.add(new long[] { pa, 512 });
        machine.port("u0").drive(linear(pa, 1, 21, RW));
        byte[] data = pattern(3 * FRAME_SIZE, 4);
        assertTrue(dma.write(ACC, 1, (1 << 20) + 17, data).ok());
        assertEquals(1, seen.size(), "one translation covers the whole 2 MiB page");
        assertArrayEquals(data, memory.read(pa + (1 << 20) + 17, data.length));
    }

    @Test
    void zeroLengthRequestsAreComplete() {
        DmaResult r = dma.read(ACC, 1, 0, 0);
        assertTrue(r.ok());
        assertEquals(0, r.done());
        assertTrue(dma.write(ACC, 1, 0, new byte[0]).ok());
        assertEquals(0, machine.port("u0").blockedCount(), "nothing was translated");
    }

    @Test
    void eachDeviceGoesToItsOwnUnit() {
        long pa = allocate(1);
        machine.port("u1").drive(linear(pa, 1, 12, RW));
        assertTrue(dma.write(OTHER, Access.NO_PASID, 0, new byte[] { 3 }).ok());
        assertEquals(3, memory.load8(pa));
        assertEquals("NO_BACKEND", dma.write(ACC, Access.NO_PASID, 0, new byte[] { 4 }).fault().reason());
        assertEquals(3, memory.load8(pa));
        assertEquals(1, machine.port("u0").blockedCount());
        assertEquals(0, machine.port("u1").blockedCount());
    }

    // ---- refused requests ----------------------------------------------------------------------------------

    @Test
    void unknownDeviceIsEnodev() {
        PciAddress ghost = new PciAddress(0, 5, 0, 0);
        assertErrno(Errno.ENODEV, () -> dma.read(ghost, Access.NO_PASID, 0, 4));
        assertErrno(Errno.ENODEV, () -> dma.write(ghost, 1, 0, new byte[4]));
        assertEquals(0, machine.port("u0").blockedCount());
        assertEquals(0, machine.port("u1").blockedCount());
    }

    @Test
    void invalidPasidIsEinval() {
        long pa = allocate(1);
        machine.port("u0").drive(linear(pa, 1, 12, RW));
        assertErrno(Errno.EINVAL, () -> dma.read(ACC, -2, 0, 4));
        assertErrno(Errno.EINVAL, () -> dma.read(ACC, 1 << 20, 0, 4));
        assertErrno(Errno.EINVAL, () -> dma.write(ACC, Integer.MIN_VALUE, 0, new byte[1]));
        assertTrue(seen.isEmpty(), "refused requests never reach the translator");
        assertTrue(dma.read(ACC, (1 << 20) - 1, 0, 4).ok(), "the largest 20-bit PASID is valid");
        assertTrue(dma.read(ACC, 0, 0, 4).ok());
        assertTrue(dma.read(ACC, Access.NO_PASID, 0, 4).ok());
        assertEquals(List.of((1 << 20) - 1, 0, Access.NO_PASID), seen.stream().map(Seen::pasid).toList());
    }

    // ---- small value types ---------------------------------------------------------------------------------

    @Test
    void translatedPageArithmetic() {
        TranslatedPage p = new TranslatedPage(0x20_0000, 21, RW);
        assertFalse(p.isFault());
        assertEquals(0x20_0000 + 0x1234, p.physical(0x4000_1234L));
        assertEquals((1 << 21) - 0x1234, p.remaining(0x4000_1234L));
        assertEquals(1 << 21, p.remaining(0x4000_0000L));
        TranslatedPage small = new TranslatedPage(0x5000, 11, Access.READ);
        assertEquals(0x5000 + 0x7ff, small.physical(0xfff));
        assertEquals(1, small.remaining(0xfff));
        assertEquals(0x800, small.remaining(0x1000));
    }

    @Test
    void accessDescriptions() {
        assertEquals("-", Access.describe(0));
        assertEquals("rw", Access.describe(RW));
        assertEquals("rwxp", Access.describe(15));
        assertEquals("-", Access.pasid(Access.NO_PASID));
        assertEquals("42", Access.pasid(42));
        TranslationFault f = new TranslationFault("u0", "X", 0x10, 0x1000, Access.NO_PASID, Access.WRITE, false, null, "d");
        assertEquals("X (0x10) at iova 0x1000 pasid - w on u0: d", f.toString());
        assertSame(f, f.unrecoverable());
    }
}
