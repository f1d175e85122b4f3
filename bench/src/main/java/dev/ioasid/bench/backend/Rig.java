package dev.ioasid.bench.backend;

import java.util.List;

import dev.ioasid.api.Context;
import dev.ioasid.api.IoasOption;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.IovaRange;
import dev.ioasid.api.MapFlags;
import dev.ioasid.api.PciAddress;
import dev.ioasid.core.internal.IommuCore;
import dev.ioasid.machine.Machine;
import dev.ioasid.machine.MachineDescription;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.machine.Translator;
import dev.ioasid.spi.IommuUnit;

/**
 * A machine, a backend driving its one unit, the core, and one open context: what the OSGi runtime wires
 * together, built on the plain classpath as the conformance tests do.
 */
public final class Rig implements AutoCloseable {
    public static final String UNIT = "u0";
    /** PCI devices behind the unit, each with PASID, PRI and ATS. */
    public static final int DEVICES = 4;
    public static final long PAGE = 4096;
    public static final long MIB = 1L << 20;
    public static final long GIB = 1L << 30;
    public static final int RW = MapFlags.READABLE | MapFlags.WRITEABLE;
    public static final int FIXED_RW = MapFlags.FIXED_IOVA | RW;

    public final BenchBackend backend;
    public final Machine machine;
    public final IommuCore core;
    public final List<IommuUnit> units;
    public final Context ctx;

    /** An IOAS with devices attached through one automatic paging HWPT, and one mapping of user memory. */
    public record Attached(int ioas, int[] devIds, int hwpt, long iova, long length, long va) {
    }

    private Rig(BenchBackend backend, long memoryBytes) {
        this.backend = backend;
        StringBuilder text = new StringBuilder();
        text.append("memory ").append(memoryBytes >>> 20).append("M\n");
        text.append(backend.unitLine(UNIT)).append('\n');
        for (int i = 0; i < DEVICES; i++) {
            text.append(String.format("device 0000:00:%02x.0 %s name=d%d pasid=20 pri ats%n", i + 1, UNIT, i));
        }
        this.machine = new Machine(MachineDescription.parse(text.toString(), "bench"));
        this.units = backend.start(machine);
        this.core = new IommuCore(machine);
        for (IommuUnit u : units) {
            core.bindUnit(u);
        }
        this.ctx = core.open("bench");
    }

    /** A fresh rig with {@code memoryBytes} of physical memory (a multiple of 16 MiB). */
    public static Rig boot(BenchBackend backend, long memoryBytes) {
        return new Rig(backend, memoryBytes);
    }

    public PciAddress address(int device) {
        return PciAddress.parse(String.format("0000:00:%02x.0", device + 1));
    }

    public PciDevice device(int device) {
        return machine.device(address(device));
    }

    /** Where DMA of the unit's devices is translated: the hot path. */
    public Translator translator() {
        return machine.port(UNIT).translator();
    }

    public int bind(int device) {
        return core.bind(ctx, address(device));
    }

    /** A new IOAS; {@code hugePages} false sets HUGE_PAGES to 0 (4 KiB leaves only). */
    public int ioas(boolean hugePages) {
        int id = core.ioasAlloc(ctx);
        if (!hugePages) {
            core.optionSet(ctx, IoasOption.HUGE_PAGES, id, 0);
        }
        return id;
    }

    /** Anonymous user memory (not touched: it costs no simulated frame until written). */
    public long mmap(long bytes) {
        return ctx.memory().mmap(bytes);
    }

    public long map(int ioas, long va, long length, long iova) {
        return core.ioasMap(ctx, ioas, va, length, iova, FIXED_RW);
    }

    public long unmap(int ioas, long iova, long length) {
        return core.ioasUnmap(ctx, ioas, iova, length);
    }

    /** Unmaps everything; 0 on an empty IOAS. */
    public long unmapAll(int ioas) {
        return core.ioasUnmap(ctx, ioas, 0, -1L);
    }

    /** Frames held by the tables of the unit's live domains. */
    public long tableFrames() {
        return backend.tableFrames(units);
    }

    /**
     * The lowest IOVA inside {@code range} aligned to {@code align} (a power of two) where {@code length} bytes
     * fit, or -1.
     */
    public static long place(IovaRange range, long length, long align) {
        long iova = (range.start() + align - 1) & -align;
        if (Long.compareUnsigned(iova, range.start()) < 0 || length <= 0) {
            return -1;
        }
        long last = iova + length - 1;
        return Long.compareUnsigned(last, iova) >= 0 && Long.compareUnsigned(last, range.last()) <= 0 ? iova : -1;
    }

    /** The generic {@link BenchBackend#attachMapped}: naturally aligned (up to 1 GiB) in the mappable range. */
    public Attached attachMapped(int devices, long pages, boolean hugePages) {
        long length = pages * PAGE;
        int ioas = ioas(hugePages);
        int[] devIds = new int[devices];
        int hwpt = 0;
        for (int i = 0; i < devices; i++) {
            devIds[i] = bind(i);
            hwpt = core.attach(ctx, devIds[i], ioas);
        }
        long iova = place(backend.mappable(), length, Math.min(Long.highestOneBit(length), GIB));
        if (iova == -1) {
            throw new IllegalStateException(backend.name() + ": " + length + " bytes do not fit " + backend.mappable());
        }
        long va = mmap(length);
        map(ioas, va, length, iova);
        return new Attached(ioas, devIds, hwpt, iova, length, va);
    }

    @Override
    public void close() {
        try {
            ctx.close();
        } catch (IommuException | IllegalStateException e) {
            // closing what a failed benchmark left half-built: the rig is thrown away anyway
        }
        for (IommuUnit u : units) {
            core.unbindUnit(u);
        }
        core.deactivate();
        backend.stop(units);
    }
}
