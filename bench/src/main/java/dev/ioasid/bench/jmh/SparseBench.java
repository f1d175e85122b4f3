package dev.ioasid.bench.jmh;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import dev.ioasid.api.IovaRange;
import dev.ioasid.bench.backend.BenchBackend;
import dev.ioasid.bench.backend.BenchBackends;
import dev.ioasid.bench.backend.Rig;
import dev.ioasid.bench.report.Facts;
import dev.ioasid.bench.report.HardwareCost;

/**
 * P7, sparse: one 4 KiB map every 2 MiB (iova_stress's worst case for page tables) over 1 TiB of IOVA, or over
 * as much of it as the backend's mappable range holds, with a device attached; the frames the domain's tables
 * then hold, against what 4-level tables of 512 entries (x86-64, VT-d second stage) need for the same IOVAs.
 * The time JMH reports is that of all the maps, for information only.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 0)
@Measurement(iterations = 1)
@Fork(value = 1, jvmArgsAppend = { "-Xms1g", "-Xmx6g", "-XX:MaxDirectMemorySize=8g" })
public class SparseBench {
    public static final long SPAN = 1L << 40;
    public static final long STRIDE = 2 * Rig.MIB;

    @Param("mock")
    public String backend;

    Rig rig;
    int ioas;
    long[] iovas;
    long va;
    long heap0;

    /** The IOVAs of the pattern inside {@code mappable}: from its first 2 MiB boundary, at most 1 TiB's worth. */
    public static long[] pattern(IovaRange mappable) {
        long start = (mappable.start() + STRIDE - 1) & -STRIDE;
        long room = Long.compareUnsigned(mappable.last(), start) < 0 ? 0 : (mappable.last() - start) / STRIDE + 1;
        int n = (int) Math.min(SPAN / STRIDE, room);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = start + i * STRIDE;
        }
        return out;
    }

    @Setup(Level.Iteration)
    public void setup() {
        BenchBackend b = BenchBackends.get(backend);
        iovas = pattern(b.mappable());
        rig = Rig.boot(b, 8 * Rig.GIB + (((long) iovas.length * 2 * Rig.PAGE + Rig.GIB - 1) & -Rig.GIB));
        Rig.Attached a = b.attachMapped(rig, 1, 1, true);
        ioas = a.ioas();
        rig.unmapAll(ioas);
        va = rig.mmap(iovas.length * Rig.PAGE);
        heap0 = MemoryBench.retainedHeap();
    }

    @Benchmark
    public long p7SparseMaps() {
        for (int i = 0; i < iovas.length; i++) {
            rig.map(ioas, va + i * Rig.PAGE, Rig.PAGE, iovas[i]);
        }
        return iovas.length;
    }

    @TearDown(Level.Iteration)
    public void measure() {
        long heap = MemoryBench.retainedHeap() - heap0;
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("maps", iovas.length);
        f.put("spanBytes", (long) iovas.length * STRIDE);
        f.put("tableFrames", rig.tableFrames());
        f.put("hardwareFrames", HardwareCost.fourLevelFrames(iovas));
        f.put("heapPerMap", heap / (double) iovas.length);
        Facts.write("sparse-" + backend, f);
        rig.unmapAll(ioas);
        rig.close();
    }
}
