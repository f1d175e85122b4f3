package dev.ioasid.bench.jmh;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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

import dev.ioasid.bench.backend.BenchBackend;
import dev.ioasid.bench.backend.BenchBackends;
import dev.ioasid.bench.backend.Rig;

/**
 * P3: one IOAS map of 1 GiB then one unmap of it, HUGE_PAGES off so that the domain holds 262,144 4 KiB leaves,
 * with a device attached; against storing the same number of 8-byte values into off-heap memory.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = { "-Xms2g", "-Xmx2g" })
public class MapBench {
    public static final long LENGTH = Rig.GIB;
    public static final int VALUES = (int) (LENGTH / Rig.PAGE);

    @Param("mock")
    public String backend;

    Rig rig;
    int ioas;
    long iova;
    long va;
    ByteBuffer offHeap;

    @Setup(Level.Trial)
    public void setup() {
        BenchBackend b = BenchBackends.get(backend);
        rig = Rig.boot(b, 8 * Rig.GIB);
        Rig.Attached a = b.attachMapped(rig, 1, LENGTH / Rig.PAGE, false);
        ioas = a.ioas();
        iova = a.iova();
        va = a.va();
        rig.unmapAll(ioas);
        offHeap = ByteBuffer.allocateDirect(VALUES * 8).order(ByteOrder.LITTLE_ENDIAN);
    }

    @TearDown(Level.Trial)
    public void teardown() {
        rig.close();
    }

    @Benchmark
    public long p3MapUnmap() {
        rig.map(ioas, va, LENGTH, iova);
        return rig.unmap(ioas, iova, LENGTH);
    }

    /** What a page table's leaves cost at the least: one 8-byte store each, into memory off the heap. */
    @Benchmark
    public ByteBuffer p3OffHeapStoreBaseline() {
        ByteBuffer b = offHeap;
        for (int i = 0; i < VALUES; i++) {
            b.putLong(i << 3, ((long) i << 12) | 3);
        }
        return b;
    }
}
