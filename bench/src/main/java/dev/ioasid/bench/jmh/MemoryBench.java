package dev.ioasid.bench.jmh;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
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

import dev.ioasid.bench.backend.BenchBackend;
import dev.ioasid.bench.backend.BenchBackends;
import dev.ioasid.bench.backend.Rig;
import dev.ioasid.bench.report.Facts;

/**
 * P4: what mapping 1 GiB densely with 4 KiB leaves costs, per page: frames of simulated memory taken (the
 * tables) plus Java heap retained (measured after forced full collections), against the hardware's 8 B PTE
 * plus 1/512 of a table above it. The user memory mapped is allocated before the first snapshot: it is the
 * data, not the cost of mapping it. The time JMH reports is that of the map, for information only.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 0)
@Measurement(iterations = 1)
@Fork(value = 1, jvmArgsAppend = { "-Xms2g", "-Xmx2g" })
public class MemoryBench {
    public static final long LENGTH = Rig.GIB;

    @Param("mock")
    public String backend;

    Rig rig;
    int ioas;
    long iova;
    long va;
    long frames0;
    long heap0;
    long direct0;

    @Setup(Level.Iteration)
    public void setup() {
        BenchBackend b = BenchBackends.get(backend);
        rig = Rig.boot(b, 8 * Rig.GIB);
        // attach through a one-page mapping, so that the domain exists, then measure from an empty IOAS
        ioas = b.attachMapped(rig, 1, 1, false).ioas();
        rig.unmapAll(ioas);
        iova = Rig.place(b.mappable(), LENGTH, Rig.GIB);
        va = rig.mmap(LENGTH);
        heap0 = retainedHeap();
        frames0 = rig.machine.frames().framesInUse();
        direct0 = directBytes();
    }

    @Benchmark
    public long p4MapDense() {
        return rig.map(ioas, va, LENGTH, iova);
    }

    @TearDown(Level.Iteration)
    public void measure() {
        long heap = retainedHeap() - heap0;
        long frames = rig.machine.frames().framesInUse() - frames0;
        long direct = directBytes() - direct0;
        long pages = LENGTH / Rig.PAGE;
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("pages", pages);
        f.put("frames", frames);
        f.put("tableFrames", rig.tableFrames());
        f.put("heapBytes", heap);
        f.put("directBytes", direct);
        f.put("bytesPerPage", (frames * Rig.PAGE + heap) / (double) pages);
        Facts.write("memory-" + backend, f);
        rig.unmapAll(ioas);
        rig.close();
        rig = null;
    }

    /** Heap in use after full collections, once two in a row agree within 64 KiB (at most ten). */
    public static long retainedHeap() {
        long last = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            System.gc();
            long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            if (Math.abs(used - last) < 64 << 10) {
                return used;
            }
            last = used;
        }
        return last;
    }

    /** Bytes of direct buffers: the host memory behind simulated frames. */
    public static long directBytes() {
        for (BufferPoolMXBean p : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (p.getName().equals("direct")) {
                return p.getMemoryUsed();
            }
        }
        return 0;
    }
}
