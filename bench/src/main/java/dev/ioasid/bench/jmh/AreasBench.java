package dev.ioasid.bench.jmh;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import dev.ioasid.bench.backend.BenchBackends;
import dev.ioasid.bench.backend.Rig;
import dev.ioasid.bench.report.Facts;

/**
 * P7, areas: one IOAS is filled with {@code areas} separate 4 KiB mappings (one IOAS map each, at fixed IOVAs
 * side by side), then the measurement maps more 4 KiB areas at that size; what one batch added is unmapped after
 * it, outside the measurement. VFIO type1 stops at 65,535 mappings, the baseline size. No device is attached: a
 * domain would confine the IOAS to its aperture, and the mock's 2 GiB holds only 520,192 pages; the IOAS alone
 * is what holds areas. A fill that fails (ENOMEM, heap) stops where it got, and the measurement runs there.
 * <p>
 * Run in SingleShotTime with a batch size: the score is the time of one batch of maps.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = { "-Xms1g", "-Xmx14g" })
public class AreasBench {
    public static final long VFIO_CAP = 65_535;
    /** Room for the maps that measurements add on top of the fill. */
    static final long EXTRA = 1 << 20;
    static final long IOVA_BASE = Rig.GIB;

    @Param({ "65535", "10000000" })
    public long areas;

    Rig rig;
    int ioas;
    long va;
    long reached;
    long extra;

    @Setup(Level.Trial)
    public void fill() {
        long pages = areas + EXTRA;
        long memory = ((pages * Rig.PAGE + 4 * Rig.GIB) + Rig.GIB - 1) & -Rig.GIB;
        rig = Rig.boot(BenchBackends.get("mock"), memory);
        ioas = rig.ioas(true);
        va = rig.mmap(pages * Rig.PAGE);
        long heap0 = MemoryBench.retainedHeap();
        String failure = "";
        long t0 = System.nanoTime();
        try {
            for (reached = 0; reached < areas; reached++) {
                rig.map(ioas, va + reached * Rig.PAGE, Rig.PAGE, IOVA_BASE + reached * Rig.PAGE);
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            failure = e.toString();
        }
        long fillNanos = System.nanoTime() - t0;
        long heap = MemoryBench.retainedHeap() - heap0;
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("target", areas);
        f.put("reached", reached);
        f.put("fillSeconds", fillNanos / 1e9);
        f.put("heapPerArea", reached == 0 ? 0 : heap / (double) reached);
        f.put("failure", failure);
        Facts.write("areas-" + areas, f);
    }

    @TearDown(Level.Iteration)
    public void dropExtra() {
        if (extra > 0) {
            rig.unmap(ioas, IOVA_BASE + reached * Rig.PAGE, extra * Rig.PAGE);
            extra = 0;
        }
    }

    @TearDown(Level.Trial)
    public void teardown() {
        rig.close();
    }

    @Benchmark
    public long p7MapAtSize() {
        if (extra == EXTRA) {
            throw new IllegalStateException("a batch of more than " + EXTRA + " maps");
        }
        long at = reached + extra++;
        return rig.map(ioas, va + at * Rig.PAGE, Rig.PAGE, IOVA_BASE + at * Rig.PAGE);
    }
}
