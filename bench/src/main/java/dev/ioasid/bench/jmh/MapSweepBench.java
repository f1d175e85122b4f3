package dev.ioasid.bench.jmh;

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

import dev.ioasid.api.IovaRange;
import dev.ioasid.bench.backend.BenchBackend;
import dev.ioasid.bench.backend.BenchBackends;
import dev.ioasid.bench.backend.Rig;

/**
 * P3's chart: the time of one IOAS map (the unmap is outside the measurement) of {@code size} bytes whose
 * largest leaf is {@code page}: 4K with HUGE_PAGES off; 2M with HUGE_PAGES on at an IOVA that is 2 MiB but not
 * 1 GiB aligned; 1G with HUGE_PAGES on, everything 1 GiB aligned. A combination that the backend cannot place
 * (past its aperture, or smaller than its page) is skipped by {@link #placement}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = { "-Xms2g", "-Xmx2g" })
public class MapSweepBench {
    /** The chart's mapping sizes: 1 MiB to 16 GiB by fours. */
    public static final long[] SIZES = { 1L << 20, 4L << 20, 16L << 20, 64L << 20, 256L << 20, 1L << 30, 4L << 30, 16L << 30 };
    public static final long[] PAGES = { 4L << 10, 2L << 20, 1L << 30 };

    @Param("mock")
    public String backend;
    @Param("4K")
    public String page;
    @Param("1M")
    public String size;

    Rig rig;
    int ioas;
    long iova;
    long va;
    long length;

    /** The IOVA at which {@code length} bytes map with {@code pageBytes} as the largest leaf, or -1. */
    public static long placement(IovaRange mappable, long length, long pageBytes) {
        if (length < pageBytes) {
            return -1;
        }
        if (pageBytes == Rig.GIB || pageBytes == Rig.PAGE) {
            return Rig.place(mappable, length, Math.min(Rig.GIB, Long.highestOneBit(length)));
        }
        // 2 MiB aligned, never 1 GiB aligned: try just above a 1 GiB boundary, then the lowest 2 MiB boundary
        long above = Rig.place(new IovaRange(((mappable.start() + Rig.GIB - 1) & -Rig.GIB) + pageBytes, mappable.last()), length, pageBytes);
        if (above != -1) {
            return above;
        }
        long low = Rig.place(mappable, length, pageBytes);
        return low != -1 && low % Rig.GIB != 0 ? low : -1;
    }

    public static long parseSize(String s) {
        long unit = switch (s.charAt(s.length() - 1)) {
            case 'K' -> 1L << 10;
            case 'M' -> 1L << 20;
            case 'G' -> 1L << 30;
            default -> throw new IllegalArgumentException(s);
        };
        return Long.parseLong(s.substring(0, s.length() - 1)) * unit;
    }

    public static String formatSize(long bytes) {
        if (bytes >= Rig.GIB && bytes % Rig.GIB == 0) {
            return (bytes >> 30) + "G";
        }
        if (bytes >= Rig.MIB && bytes % Rig.MIB == 0) {
            return (bytes >> 20) + "M";
        }
        return (bytes >> 10) + "K";
    }

    @Setup(Level.Trial)
    public void setup() {
        BenchBackend b = BenchBackends.get(backend);
        long pageBytes = parseSize(page);
        length = parseSize(size);
        iova = placement(b.mappable(), length, pageBytes);
        if (iova == -1) {
            throw new IllegalStateException(size + " with " + page + " pages does not fit " + b.name() + "'s " + b.mappable());
        }
        rig = Rig.boot(b, Math.max(8 * Rig.GIB, 2 * length + 4 * Rig.GIB));
        boolean huge = pageBytes != Rig.PAGE;
        Rig.Attached a = b.attachMapped(rig, 1, 1, huge);
        ioas = a.ioas();
        rig.unmapAll(ioas);
        // the same offset from a 1 GiB boundary in user memory as in IOVA, so physical alignment follows
        long buf = rig.mmap(length + 2 * Rig.GIB);
        va = ((buf + Rig.GIB - 1) & -Rig.GIB) + (iova & (Rig.GIB - 1));
    }

    @TearDown(Level.Invocation)
    public void unmap() {
        rig.unmap(ioas, iova, length);
    }

    @TearDown(Level.Trial)
    public void teardown() {
        rig.close();
    }

    @Benchmark
    public long map() {
        return rig.map(ioas, va, length, iova);
    }
}
