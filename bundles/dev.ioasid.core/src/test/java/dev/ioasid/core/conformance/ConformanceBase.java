package dev.ioasid.core.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.function.Executable;

import dev.ioasid.api.Context;
import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.MapFlags;
import dev.ioasid.api.PciAddress;
import dev.ioasid.core.internal.IommuCore;
import dev.ioasid.machine.Machine;
import dev.ioasid.machine.MachineDescription;
import dev.ioasid.spi.IommuUnit;

/**
 * The base of every conformance class: a fresh machine, backend and core for each test, and a shared teardown
 * that closes every context and then checks that every pin is gone and every frame is back, first with the
 * backend still there, then after it went away.
 */
public abstract class ConformanceBase {
    /** The CPU page size, PAGE_SIZE in the selftest. */
    protected static final long P = 4096;
    /** BUFFER_SIZE of the selftest. */
    protected static final long BUFFER_SIZE = 16 * P;
    protected static final long U64_MAX = -1L;
    protected static final int RW = MapFlags.READABLE | MapFlags.WRITEABLE;
    protected static final int FIXED_RW = MapFlags.FIXED_IOVA | RW;

    /** The devices behind unit u0. */
    protected static final String DEVICES = String.join("\n",
            "device 0000:00:01.0 u0 name=d0",
            "device 0000:00:02.0 u0 name=d1",
            "device 0000:00:03.0 u0 name=dp pasid=20 pri ats",
            "device 0000:00:04.0 u0 name=dnd nodirty=1",
            "device 0000:00:05.0 u0 name=d2",
            "device 0000:00:06.0 u0 name=dp2 pasid=20");
    protected static final PciAddress D0 = PciAddress.parse("00:01.0");
    protected static final PciAddress D1 = PciAddress.parse("00:02.0");
    protected static final PciAddress DP = PciAddress.parse("00:03.0");
    protected static final PciAddress DND = PciAddress.parse("00:04.0");
    protected static final PciAddress D2 = PciAddress.parse("00:05.0");
    protected static final PciAddress DP2 = PciAddress.parse("00:06.0");

    protected Machine machine;
    protected IommuCore core;
    protected List<IommuUnit> units;
    protected Context ctx;
    private long framesBeforeBackend;
    private long framesBaseline;

    /** The backend under test. */
    protected abstract ConformanceBackend backend();

    protected String machineText() {
        return "memory 8G\n" + backend().unitLine() + "\n" + DEVICES + "\n";
    }

    @BeforeEach
    void boot() {
        machine = new Machine(MachineDescription.parse(machineText(), "conformance"));
        framesBeforeBackend = machine.frames().framesInUse();
        units = backend().start(machine);
        framesBaseline = machine.frames().framesInUse();
        core = new IommuCore(machine);
        for (IommuUnit u : units) {
            core.bindUnit(u);
        }
        ctx = core.open("test");
    }

    @AfterEach
    void teardown() {
        for (Context c : core.contexts()) {
            c.close();
        }
        assertEquals(0, machine.pins().total(), "every pin is released after the contexts closed");
        assertEquals(0, machine.pins().releasedFrames(), "no frame is kept alive by a pin");
        assertEquals(framesBaseline, machine.frames().framesInUse(), "frames in use are back to the baseline");
        assertEquals(0, core.hwIdsInUse(), "every hardware id is free");
        for (IommuUnit u : units) {
            core.unbindUnit(u);
        }
        core.deactivate();
        backend().stop(units);
        assertEquals(framesBeforeBackend, machine.frames().framesInUse(), "the backend freed everything it built");
    }

    // ------------------------------------------------------------ helpers

    /** Asserts that a call fails with an errno, and returns the exception. */
    protected static IommuException expectErrno(Errno errno, Executable call) {
        IommuException e = assertThrows(IommuException.class, call);
        assertEquals(errno, e.errno(), () -> "errno of: " + e.getMessage());
        return e;
    }

    /** A user buffer of {@code length} bytes in the test context (mmap). */
    protected long buffer(long length) {
        return ctx.memory().mmap(length);
    }

    protected int ioas() {
        return core.ioasAlloc(ctx);
    }

    protected int bind(PciAddress a) {
        return core.bind(ctx, a);
    }

    /** bind + attach to {@code pt}: the selftest's MOCK_DOMAIN. Returns {devId, hwptId}. */
    protected int[] mockDomain(PciAddress a, int pt) {
        int dev = bind(a);
        try {
            return new int[] { dev, core.attach(ctx, dev, pt) };
        } catch (RuntimeException e) {
            core.unbind(ctx, dev);
            throw e;
        }
    }

    protected long mapFixed(int ioas, long va, long length, long iova) {
        return core.ioasMap(ctx, ioas, va, length, iova, FIXED_RW);
    }

    protected long mapAuto(int ioas, long va, long length) {
        return core.ioasMap(ctx, ioas, va, length, 0, RW);
    }

    protected long unmap(int ioas, long iova, long length) {
        return core.ioasUnmap(ctx, ioas, iova, length);
    }

    /**
     * MD_CHECK_MAP: every granule of {@code [iova, iova + length)} translates, in the HWPT's domain, to the
     * physical address behind the same offset of {@code va}.
     */
    protected void checkMap(int hwptId, long va, long iova, long length) {
        var d = (dev.ioasid.spi.PagingDomain) core.domainOf(ctx, hwptId);
        long g = Long.lowestOneBit(d.pageSizes());
        for (long off = 0; off < length; off += g) {
            long expect = ((dev.ioasid.machine.UserAddressSpace) ctx.memory()).physical(va + off);
            assertEquals(expect, d.iovaToPhys(iova + off), String.format("iova 0x%x", iova + off));
        }
    }
}
