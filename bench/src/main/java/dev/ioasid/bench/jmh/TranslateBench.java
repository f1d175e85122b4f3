package dev.ioasid.bench.jmh;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.ThreadParams;

import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.bench.backend.BenchBackend;
import dev.ioasid.bench.backend.BenchBackends;
import dev.ioasid.bench.backend.Rig;
import dev.ioasid.bench.report.Facts;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.machine.TranslatedPage;
import dev.ioasid.machine.Translation;
import dev.ioasid.machine.Translator;
import dev.ioasid.spi.UnitStats;

/**
 * P1, P2 and P6: translation through the unit's port, the path every DMA takes. One GiB is mapped with 4 KiB
 * leaves (HUGE_PAGES off) behind two devices sharing the IOAS's automatic domain; a third device is attached to
 * a nested domain over a NEST_PARENT domain of the same IOAS.
 * <ul>
 * <li>P1: random pages of a working set that stays in the IOTLB (checked with the unit's counters), against
 * {@code HashMap<Long,Long>.get} on the same keys in the same order;</li>
 * <li>P2: random pages of the whole GiB, so nearly every translation misses and walks, flat and nested;</li>
 * <li>P6: P1's translation from one thread, then from two threads each with its own device.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = { "-Xms2g", "-Xmx2g" })
public class TranslateBench {
    static final long REGION = Rig.GIB;
    static final int HIT_SEQ = 1 << 12;
    static final int MISS_SEQ = 1 << 16;

    @Param("mock")
    public String backend;

    Rig rig;
    Translator translator;
    PciDevice[] flat;
    PciDevice nested;
    long[] hitKeys;
    Long[] hitBoxed;
    HashMap<Long, Long> map;
    int[] hitSeq;
    long[] missSeq;
    int at;
    private String benchmark;
    private UnitStats before;

    @Setup(Level.Trial)
    public void setup(BenchmarkParams params) {
        benchmark = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
        BenchBackend b = BenchBackends.get(backend);
        rig = Rig.boot(b, 8 * Rig.GIB);
        Rig.Attached a = b.attachMapped(rig, 2, REGION / Rig.PAGE, false);
        int nestedDev = rig.bind(2);
        int parent = rig.core.hwptAlloc(rig.ctx, HwptAlloc.paging(nestedDev, a.ioas(), HwptFlags.NEST_PARENT));
        b.attachNested(rig, nestedDev, parent, a.iova(), a.length());
        translator = rig.translator();
        flat = new PciDevice[] { rig.device(0), rig.device(1) };
        nested = rig.device(2);

        Random rnd = new Random(42);
        hitKeys = pickHitKeys(rnd, a.iova(), b.hitWorkingSet());
        hitBoxed = new Long[hitKeys.length];
        map = new HashMap<>();
        for (int i = 0; i < hitKeys.length; i++) {
            map.put(hitKeys[i], ((TranslatedPage) translate(flat[0], hitKeys[i])).physical(hitKeys[i]));
            hitBoxed[i] = Long.valueOf(hitKeys[i]);
        }
        hitSeq = new int[HIT_SEQ];
        for (int i = 0; i < HIT_SEQ; i++) {
            hitSeq[i] = rnd.nextInt(hitKeys.length);
        }
        missSeq = new long[MISS_SEQ];
        for (int i = 0; i < MISS_SEQ; i++) {
            missSeq[i] = a.iova() + (long) rnd.nextInt((int) (REGION / Rig.PAGE)) * Rig.PAGE + 0x40;
        }
        before = rig.units.get(0).stats();
    }

    private Translation translate(PciDevice d, long iova) {
        Translation t = translator.translate(d, Access.NO_PASID, iova, Access.READ);
        if (t.isFault()) {
            throw new IllegalStateException("0x" + Long.toHexString(iova) + " faulted: " + t);
        }
        return t;
    }

    /** Adds random pages one at a time, keeping a page only if the whole set then translates with no miss. */
    private long[] pickHitKeys(Random rnd, long base, int want) {
        long[] keys = new long[want];
        int n = 0;
        for (int attempt = 0; n < want && attempt < 100 * want; attempt++) {
            keys[n] = base + (long) rnd.nextInt((int) (REGION / Rig.PAGE)) * Rig.PAGE + 0x40;
            for (int i = 0; i <= n; i++) {
                translate(flat[0], keys[i]);
            }
            long misses = rig.units.get(0).stats().iotlbMisses();
            for (int pass = 0; pass < 2; pass++) {
                for (int i = 0; i <= n; i++) {
                    translate(flat[0], keys[i]);
                    translate(flat[1], keys[i]);
                }
            }
            if (rig.units.get(0).stats().iotlbMisses() == misses) {
                n++;
            }
        }
        if (n < want) {
            throw new IllegalStateException("no " + want + " pages stay together in the IOTLB of " + backend);
        }
        return keys;
    }

    @TearDown(Level.Trial)
    public void teardown() {
        UnitStats after = rig.units.get(0).stats();
        long hits = after.iotlbHits() - before.iotlbHits();
        long misses = after.iotlbMisses() - before.iotlbMisses();
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("hits", hits);
        f.put("misses", misses);
        f.put("workingSet", hitKeys.length);
        f.put("flatWalk", rig.backend.flatWalk());
        f.put("nestedWalk", rig.backend.nestedWalk());
        Facts.write("translate-" + benchmark + "-" + backend, f);
        rig.close();
    }

    @Benchmark
    public Translation p1Hit() {
        return translator.translate(flat[0], Access.NO_PASID, hitKeys[hitSeq[at++ & (HIT_SEQ - 1)]], Access.READ);
    }

    @Benchmark
    public Long p1HashMapBaseline() {
        return map.get(hitBoxed[hitSeq[at++ & (HIT_SEQ - 1)]]);
    }

    @Benchmark
    public Translation p2MissFlat() {
        return translator.translate(flat[0], Access.NO_PASID, missSeq[at++ & (MISS_SEQ - 1)], Access.READ);
    }

    @Benchmark
    public Translation p2MissNested() {
        return translator.translate(nested, Access.NO_PASID, missSeq[at++ & (MISS_SEQ - 1)], Access.READ);
    }

    /** One device per benchmark thread, each with its own position in the key sequence. */
    @State(Scope.Thread)
    public static class Lane {
        PciDevice device;
        int at;
        long x = 0x9E3779B97F4A7C15L;

        /** A few nanoseconds of arithmetic on this thread's own state. */
        long spin() {
            for (int i = 0; i < 8; i++) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
            }
            return x;
        }

        @Setup(Level.Trial)
        public void setup(TranslateBench s, ThreadParams t) {
            device = s.flat[t.getThreadIndex() % s.flat.length];
            at = t.getThreadIndex() * 997;
        }
    }

    @Benchmark
    @Threads(1)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Translation p6OneThread(Lane lane) {
        return translator.translate(lane.device, Access.NO_PASID, hitKeys[hitSeq[lane.at++ & (HIT_SEQ - 1)]], Access.READ);
    }

    @Benchmark
    @Threads(2)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Translation p6TwoThreads(Lane lane) {
        return translator.translate(lane.device, Access.NO_PASID, hitKeys[hitSeq[lane.at++ & (HIT_SEQ - 1)]], Access.READ);
    }

    /**
     * Context for P6, not its baseline: how a loop that shares nothing scales from one thread to two on this
     * machine during this run. On a shared machine whose second core is busy elsewhere, no code reaches 1.8.
     */
    @Benchmark
    @Threads(1)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long p6MachineOneThread(Lane lane) {
        return lane.spin();
    }

    @Benchmark
    @Threads(2)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long p6MachineTwoThreads(Lane lane) {
        return lane.spin();
    }
}
