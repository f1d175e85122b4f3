package dev.ioasid.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.UnaryOperator;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import dev.ioasid.bench.backend.BenchBackend;
import dev.ioasid.bench.backend.BenchBackends;
import dev.ioasid.bench.jmh.AreasBench;
import dev.ioasid.bench.jmh.FaultBench;
import dev.ioasid.bench.jmh.MapBench;
import dev.ioasid.bench.jmh.MapSweepBench;
import dev.ioasid.bench.jmh.MemoryBench;
import dev.ioasid.bench.jmh.SparseBench;
import dev.ioasid.bench.jmh.StartupBench;
import dev.ioasid.bench.jmh.TranslateBench;
import dev.ioasid.bench.report.Facts;
import dev.ioasid.bench.report.Figure;
import dev.ioasid.bench.report.Figures;
import dev.ioasid.bench.report.Measurements;
import dev.ioasid.bench.report.Report;

/**
 * Runs the benchmark suite and prints the report: {@code java -jar bench/target/ioasid-bench.jar [--short|--full]}
 * from the repository root. Each group of benchmarks is one JMH run holding both its figures and their baselines;
 * the report's ratios divide medians of the same run. Writes docs/benchmarks.md and its chart unless
 * {@code --no-docs}. Exits 0 when every benchmark gave a result, whether or not the figures meet their goals.
 */
public final class Main {
    private static final String USAGE = String.join("\n",
            "usage: java -jar bench/target/ioasid-bench.jar [--short|--full] [--only P1,P3,...] [--backends mock,...]",
            "                                             [--docs <dir>|--no-docs] [--runtime-jar <jar>] [--bare-jar <jar>]",
            "  --short        the short profile, about 5 minutes on 2 cores (default)",
            "  --full         more forks and iterations",
            "  --only         run only the benchmarks of these figures (docs are then written only with --docs)",
            "  --backends     measure only these backends (known: " + BenchBackends.names() + ")",
            "  --docs         where benchmarks.md and the chart go (default: docs)",
            "  --runtime-jar  P8's runtime (default: runtime/target/ioasid.jar)",
            "  --bare-jar     P8's baseline (default: p8-bare.jar beside this jar)");

    private Profile profile = Profile.SHORT;
    private final Set<String> only = new LinkedHashSet<>();
    private final List<BenchBackend> backends = new ArrayList<>(BenchBackends.all());
    private Path docs = Path.of("docs");
    private boolean writeDocs = true;
    private boolean docsGiven;
    private Path runtimeJar = Path.of("runtime", "target", "ioasid.jar");
    private Path bareJar;
    private Path runDir;
    private Path facts;
    private final List<String> stageFailures = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        Main main = new Main();
        if (!main.parse(args)) {
            System.exit(2);
        }
        System.exit(main.run());
    }

    private boolean parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String next = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--short" -> profile = Profile.SHORT;
                case "--full" -> profile = Profile.FULL;
                case "--no-docs" -> writeDocs = false;
                case "--only", "--backends", "--docs", "--runtime-jar", "--bare-jar" -> {
                    if (next == null) {
                        System.err.println(a + " needs a value\n" + USAGE);
                        return false;
                    }
                    i++;
                    switch (a) {
                        case "--only" -> Arrays.stream(next.split(",")).map(s -> s.trim().toUpperCase(Locale.ROOT)).forEach(only::add);
                        case "--backends" -> {
                            backends.clear();
                            for (String b : next.split(",")) {
                                backends.add(BenchBackends.get(b.trim()));
                            }
                        }
                        case "--docs" -> {
                            docs = Path.of(next);
                            docsGiven = true;
                        }
                        case "--runtime-jar" -> runtimeJar = Path.of(next);
                        default -> bareJar = Path.of(next);
                    }
                }
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    System.exit(0);
                }
                default -> {
                    System.err.println("unknown argument " + a + "\n" + USAGE);
                    return false;
                }
            }
        }
        if (bareJar == null) {
            bareJar = besideThisJar("p8-bare.jar");
        }
        return true;
    }

    private static Path besideThisJar(String name) {
        try {
            Path self = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return (Files.isDirectory(self) ? self.getParent() : self.resolveSibling("x")).resolveSibling(name);
        } catch (Exception e) {
            return Path.of("bench", "target", name);
        }
    }

    private boolean wants(String figure) {
        return only.isEmpty() || only.contains(figure);
    }

    private int run() throws IOException {
        Instant start = Instant.now();
        double loadBefore = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        runDir = Files.isDirectory(Path.of("bench", "target")) ? Path.of("bench", "target", "bench-run") : Files.createTempDirectory("ioasid-bench");
        facts = runDir.resolve("facts");
        if (Files.isDirectory(runDir)) {
            // the last run's logs and facts: a fact left over would stand for a benchmark that failed this time
            try (var old = Files.walk(runDir)) {
                for (Path p : (Iterable<Path>) old.sorted(java.util.Comparator.reverseOrder())::iterator) {
                    if (!p.equals(runDir)) {
                        Files.delete(p);
                    }
                }
            }
        }
        Files.createDirectories(facts);
        System.out.printf(Locale.ROOT, "ioasid benchmarks, %s profile, backends %s; JMH logs in %s%n", profile.name(),
                backends.stream().map(BenchBackend::name).toList(), runDir.toAbsolutePath());

        String[] all = backends.stream().map(BenchBackend::name).toArray(String[]::new);
        BenchBackend p3 = BenchBackends.p3Backend();
        Measurements m = new Measurements();
        if (wants("P1") || wants("P2")) {
            stage(m, "P1 P2: translate", TranslateBench.class, "p[12]", b -> timed(b).param("backend", all));
        }
        if (wants("P6")) {
            stage(m, "P6: translate from 1 and 2 threads", TranslateBench.class, "p6", b -> timed(b).param("backend", all));
        }
        if (wants("P3")) {
            stage(m, "P3: map+unmap 1 GiB", MapBench.class, "", b -> timed(b).param("backend", p3.name()));
            for (long page : MapSweepBench.PAGES) {
                List<String> sizes = new ArrayList<>();
                for (long size : MapSweepBench.SIZES) {
                    if (MapSweepBench.placement(p3.mappable(), size, page) != -1) {
                        sizes.add(MapSweepBench.formatSize(size));
                    }
                }
                if (!sizes.isEmpty()) {
                    stage(m, "P3 chart: " + MapSweepBench.formatSize(page) + " pages, " + String.join(" ", sizes), MapSweepBench.class, "",
                            b -> b.forks(1).warmupIterations(profile.sweepWarmup()).warmupTime(TimeValue.seconds(1))
                                    .measurementIterations(profile.sweepIterations()).measurementTime(TimeValue.seconds(1))
                                    .param("backend", p3.name()).param("page", MapSweepBench.formatSize(page)).param("size", sizes.toArray(String[]::new)));
                }
            }
        }
        if (wants("P4")) {
            stage(m, "P4: memory of 1 GiB dense", MemoryBench.class, "", b -> b.measurementIterations(profile.memoryRuns()).param("backend", all));
        }
        if (wants("P5")) {
            stage(m, "P5: IO page fault round trip", FaultBench.class, "",
                    b -> b.forks(profile.forks()).warmupIterations(profile.warmup()).warmupBatchSize(profile.faultBatch())
                            .measurementIterations(profile.iterations() + 3).measurementBatchSize(profile.faultBatch()).param("backend", all));
        }
        if (wants("P7")) {
            stage(m, "P7: 10M areas", AreasBench.class, "",
                    b -> b.warmupIterations(1).warmupBatchSize(profile.areasBatch()).measurementIterations(profile.iterations())
                            .measurementBatchSize(profile.areasBatch()).jvmArgsAppend("-Xms1g", "-Xmx" + areasHeapMiB() + "m")
                            .param("areas", Long.toString(AreasBench.VFIO_CAP), Long.toString(Figures.P7_TARGET)));
            stage(m, "P7: sparse pattern", SparseBench.class, "", b -> b.measurementIterations(profile.memoryRuns()).param("backend", all));
        }
        if (wants("P8")) {
            if (!Files.isRegularFile(runtimeJar) || !Files.isRegularFile(bareJar)) {
                stageFailures.add("P8: " + (Files.isRegularFile(runtimeJar) ? bareJar : runtimeJar) + " is missing (build first)");
            } else {
                stage(m, "P8: runtime start", StartupBench.class, "", b -> b.warmupIterations(1).measurementIterations(profile.starts()));
            }
        }

        List<Figure> figures = Report.figures(m, facts, profile, only, backends, p3);
        Duration took = Duration.between(start, Instant.now());
        Report report = new Report(figures, profile, took, stageFailures, m, backends, p3)
                .load(loadBefore, java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        System.out.println();
        System.out.println(report.header());
        for (Figure f : figures) {
            System.out.println(f.line());
        }
        for (String s : stageFailures) {
            System.out.println("failed: " + s);
        }
        if (writeDocs && (only.isEmpty() || docsGiven)) {
            Path md = report.write(docs);
            System.out.println("written: " + md + " and " + md.resolveSibling(Report.CHART));
        }
        return stageFailures.isEmpty() ? 0 : 1;
    }

    /** P7's heap: 10M areas need about 2.5 GiB; up to 14 GiB, and no more than 60% of the machine's memory. */
    private static long areasHeapMiB() {
        long total = 16L << 30;
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            total = os.getTotalMemorySize();
        }
        return Math.min(14L << 10, (long) (total * 0.6) >> 20);
    }

    /** The settings of one-second-iteration time benchmarks. */
    private ChainedOptionsBuilder timed(ChainedOptionsBuilder b) {
        return b.forks(profile.forks()).warmupIterations(profile.warmup()).warmupTime(TimeValue.seconds(1))
                .measurementIterations(profile.iterations()).measurementTime(TimeValue.seconds(1));
    }

    /** Runs the benchmarks of a class whose method names start with {@code methods} (a regex) as one JMH run. */
    private void stage(Measurements m, String title, Class<?> benchmarks, String methods, UnaryOperator<ChainedOptionsBuilder> settings) {
        Instant t0 = Instant.now();
        System.out.printf(Locale.ROOT, "  %-60s", title);
        System.out.flush();
        String log = runDir.resolve("jmh-" + benchmarks.getSimpleName() + "-" + t0.toEpochMilli() + ".log").toString();
        ChainedOptionsBuilder b = new OptionsBuilder().include("\\." + benchmarks.getSimpleName() + "\\." + methods).shouldDoGC(true).output(log)
                .jvmArgsPrepend("-D" + Facts.DIR_PROPERTY + "=" + facts.toAbsolutePath(), "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                        "-D" + StartupBench.RUNTIME_JAR_PROPERTY + "=" + runtimeJar.toAbsolutePath(),
                        "-D" + StartupBench.BARE_JAR_PROPERTY + "=" + bareJar.toAbsolutePath());
        try {
            var results = new Runner(settings.apply(b).build()).run();
            m.add(results);
            int expected = results.size();
            System.out.printf(Locale.ROOT, " %3d s%s%n", Duration.between(t0, Instant.now()).toSeconds(),
                    expected == 0 ? "  (no result: see " + log + ")" : "");
            if (expected == 0) {
                stageFailures.add(title + ": no result, see " + log);
            }
            for (RunResult r : results) {
                if (r.getPrimaryResult().getStatistics().getN() == 0) {
                    stageFailures.add(title + ": " + r.getParams().getBenchmark() + " has no measurement");
                }
            }
        } catch (RunnerException | RuntimeException e) {
            System.out.printf(Locale.ROOT, " failed: %s%n", e);
            stageFailures.add(title + ": " + e + ", see " + log);
        }
    }
}
