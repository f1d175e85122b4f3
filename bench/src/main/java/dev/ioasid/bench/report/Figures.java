package dev.ioasid.bench.report;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

import dev.ioasid.bench.backend.BenchBackend;
import dev.ioasid.bench.report.Figure.Goal;
import dev.ioasid.bench.report.Measurements.Score;

/** The figures, P1 to P8, computed from a run's scores and facts. */
public final class Figures {
    public static final double P4_GOAL_BYTES = 8.1;
    public static final long P7_TARGET = 10_000_000;
    public static final long VFIO_CAP = 65_535;
    public static final double P7_AT_SIZE_GOAL = 0.5;

    private final Measurements m;
    private final Path facts;

    public Figures(Measurements m, Path facts) {
        this.m = m;
        this.facts = facts;
    }

    private static String n(double v) {
        return Figure.format(v);
    }

    private static String count(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }

    private static String score(Score s) {
        return s == null ? "no result" : String.format(Locale.ROOT, "%s %s (median of %d; mean %s ± %s)", n(s.median()), s.unit(), s.iterations(),
                n(s.mean()), Double.isNaN(s.error()) ? "n/a" : n(s.error()));
    }

    private static double ratio(Score a, Score b) {
        return a == null || b == null || b.median() == 0 ? Double.NaN : a.median() / b.median();
    }

    private Properties fact(String name) {
        return Facts.read(facts, name);
    }

    /** P1, P2 flat, P2 nested for one backend. */
    public List<Figure> translate(BenchBackend b) {
        List<Figure> out = new ArrayList<>();
        String bn = b.name();
        Score hit = m.find("TranslateBench.p1Hit", "backend", bn);
        Score map = m.find("TranslateBench.p1HashMapBaseline", "backend", bn);
        Score flat = m.find("TranslateBench.p2MissFlat", "backend", bn);
        Score nested = m.find("TranslateBench.p2MissNested", "backend", bn);
        Properties fh = fact("translate-p1Hit-" + bn);
        out.add(new Figure("P1", bn + " translate on an IOTLB hit, vs HashMap<Long,Long>.get on the same keys", ratio(hit, map), Goal.atMost(1.0),
                "translate " + score(hit) + "; HashMap.get " + score(map) + "; working set " + fh.getProperty("workingSet", "?")
                        + " pages of 1 GiB mapped with 4 KiB leaves; IOTLB " + hitRate(fh)));
        Properties ff = fact("translate-p2MissFlat-" + bn);
        out.add(new Figure("P2", bn + " translate on an IOTLB miss, flat (" + b.flatWalk() + "), vs P1's hit", ratio(flat, hit), Goal.atMost(6),
                "miss " + score(flat) + "; hit " + score(hit) + "; random 4 KiB pages of 1 GiB, IOTLB " + hitRate(ff)));
        Properties fn = fact("translate-p2MissNested-" + bn);
        out.add(new Figure("P2", bn + " translate on an IOTLB miss, nested (" + b.nestedWalk() + "), vs P1's hit", ratio(nested, hit),
                Goal.atMost(30), "miss " + score(nested) + "; hit " + score(hit) + "; IOTLB " + hitRate(fn)));
        return out;
    }

    private static String hitRate(Properties f) {
        if (!f.containsKey("hits")) {
            return "counters not recorded";
        }
        long h = Long.parseLong(f.getProperty("hits"));
        long mi = Long.parseLong(f.getProperty("misses"));
        return String.format(Locale.ROOT, "hit rate %.4f%% of %s lookups", h + mi == 0 ? 0 : 100.0 * h / (h + mi), count(h + mi));
    }

    /** P3 on the backend standing for VT-d. */
    public Figure p3(BenchBackend b, boolean standIn) {
        Score map = m.find("MapBench.p3MapUnmap", "backend", b.name());
        Score store = m.find("MapBench.p3OffHeapStoreBaseline", "backend", b.name());
        String who = standIn ? b.name() + " (standing in for a VT-d paging domain)" : b.name();
        return new Figure("P3", who + " IOAS map+unmap of 1 GiB as 4 KiB pages, HUGE_PAGES off, vs an off-heap store of 262,144 longs",
                ratio(map, store), Goal.atMost(4), "map+unmap " + score(map) + "; off-heap store " + score(store));
    }

    /** P4 for one backend. */
    public Figure p4(BenchBackend b) {
        Properties f = fact("memory-" + b.name());
        double bpp = Double.parseDouble(f.getProperty("bytesPerPage", "NaN"));
        String detail = f.isEmpty() ? "no result" : String.format(Locale.ROOT,
                "the map took %s frames of simulated memory (the domain's tables now hold %s, the root included) and kept %s B of heap, for %s pages; the direct buffers behind those frames: %s B",
                f.getProperty("frames"), f.getProperty("tableFrames"), f.getProperty("heapBytes"), f.getProperty("pages"), f.getProperty("directBytes"));
        return new Figure("P4", String.format(Locale.ROOT, "%s memory per mapped 4 KiB page, 1 GiB dense: %s B vs the hardware's %s B (goal %s B)",
                b.name(), Double.isNaN(bpp) ? "n/a" : n(bpp), n(HardwareCost.DENSE_BYTES_PER_PAGE), n(P4_GOAL_BYTES)),
                bpp / HardwareCost.DENSE_BYTES_PER_PAGE, Goal.atMost(P4_GOAL_BYTES / HardwareCost.DENSE_BYTES_PER_PAGE), detail);
    }

    /** P5 for one backend. */
    public Figure p5(BenchBackend b, int batch) {
        Score rt = m.find("FaultBench.p5FaultRoundTrip", "backend", b.name());
        Score q = m.find("FaultBench.p5SynchronousQueueBaseline", "backend", b.name());
        return new Figure("P5", b.name() + " IO page fault round trip (DMA faults, handler reads, maps, responds, DMA completes), vs a SynchronousQueue ping-pong",
                ratio(rt, q), Goal.atMost(5), "per batch of " + batch + ": fault round trips " + score(rt) + "; ping-pongs " + score(q));
    }

    /** P6 for one backend. */
    public Figure p6(BenchBackend b) {
        Score one = m.find("TranslateBench.p6OneThread", "backend", b.name());
        Score two = m.find("TranslateBench.p6TwoThreads", "backend", b.name());
        double machine = ratio(m.find("TranslateBench.p6MachineTwoThreads", "backend", b.name()),
                m.find("TranslateBench.p6MachineOneThread", "backend", b.name()));
        return new Figure("P6", b.name() + " translate throughput, 2 threads on 2 devices of one IOAS vs 1 thread", ratio(two, one), Goal.atLeast(1.8),
                "2 threads " + score(two) + "; 1 thread " + score(one) + "; P1's IOTLB-hit workload. In the same run a loop that shares nothing scaled "
                        + (Double.isNaN(machine) ? "n/a" : n(machine)) + "x from 1 thread to 2: what this machine's cores allowed then");
    }

    /** P7: areas held, and map throughput at that size. */
    public List<Figure> p7Areas(int batch) {
        List<Figure> out = new ArrayList<>();
        Properties big = fact("areas-" + P7_TARGET);
        long reached = Long.parseLong(big.getProperty("reached", "0"));
        String fill = big.isEmpty() ? "no result" : String.format(Locale.ROOT, "filled %s of %s in %s s (one map call each), %s B of heap per area%s",
                count(reached), count(P7_TARGET), n(Double.parseDouble(big.getProperty("fillSeconds"))),
                n(Double.parseDouble(big.getProperty("heapPerArea"))), big.getProperty("failure", "").isEmpty() ? "" : "; stopped by " + big.getProperty("failure"));
        out.add(new Figure("P7", "one IOAS holds " + count(reached) + " 4 KiB areas, vs VFIO's 65,535 cap", big.isEmpty() ? Double.NaN : reached / (double) VFIO_CAP,
                Goal.atLeast(P7_TARGET / (double) VFIO_CAP), fill + " (no device attached: the IOAS alone holds areas)"));
        Score at = m.find("AreasBench.p7MapAtSize", "areas", Long.toString(P7_TARGET));
        Score cap = m.find("AreasBench.p7MapAtSize", "areas", Long.toString(VFIO_CAP));
        out.add(new Figure("P7", "4 KiB map throughput at " + count(reached) + " areas, vs at 65,535 areas", ratio(cap, at), Goal.atLeast(P7_AT_SIZE_GOAL),
                "per batch of " + batch + " maps: at " + count(reached) + " areas " + score(at) + "; at 65,535 " + score(cap)
                        + " (the goal is ours: throughput at 10M areas within 2x of that at VFIO's cap)"));
        return out;
    }

    /** P7's sparse pattern for one backend. */
    public Figure p7Sparse(BenchBackend b) {
        Properties f = fact("sparse-" + b.name());
        if (f.isEmpty()) {
            return new Figure("P7", b.name() + " sparse 4 KiB per 2 MiB: table frames vs the hardware's", Double.NaN, Goal.atMost(1.0), "no result");
        }
        long maps = Long.parseLong(f.getProperty("maps"));
        long span = Long.parseLong(f.getProperty("spanBytes"));
        long tables = Long.parseLong(f.getProperty("tableFrames"));
        long hw = Long.parseLong(f.getProperty("hardwareFrames"));
        String over = span >= 1L << 40 ? "1 TiB" : (span >> 20) + " MiB (the backend's mappable range; 1 TiB does not fit)";
        return new Figure("P7", String.format(Locale.ROOT, "%s sparse 4 KiB map per 2 MiB over %s, %s maps: %s table frames vs the hardware's %s", b.name(), over,
                count(maps), count(tables), count(hw)), tables / (double) hw, Goal.atMost(1.0),
                String.format(Locale.ROOT, "hardware: 4-level tables of 512 entries; %s B of heap per map besides", n(Double.parseDouble(f.getProperty("heapPerMap")))));
    }

    /** P8. */
    public Figure p8() {
        Score ioasid = m.find("StartupBench.p8Start", "jar", "ioasid");
        Score bare = m.find("StartupBench.p8Start", "jar", "bare");
        return new Figure("P8", "runtime/target/ioasid.jar start to every bundle ACTIVE, vs a bare Felix + SCR + Gogo in the same bnd launcher",
                ratio(ioasid, bare), Goal.atMost(1.5), "ioasid.jar " + score(ioasid) + "; bare " + score(bare)
                        + "; each from launching the JVM to the script run by gogo.jline (start level 100)");
    }
}
