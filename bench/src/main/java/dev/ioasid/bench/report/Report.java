package dev.ioasid.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import dev.ioasid.bench.Profile;
import dev.ioasid.bench.backend.BenchBackend;
import dev.ioasid.bench.jmh.MapSweepBench;

/** The report: its lines, and docs/benchmarks.md with P3's chart. */
public final class Report {
    public static final String FILE = "benchmarks.md";
    public static final String CHART = "benchmarks-p3-map.png";
    public static final String COMMAND = "mvn -B -q package -DskipTests && java -jar bench/target/ioasid-bench.jar --short";

    private final List<Figure> figures;
    private final Profile profile;
    private final Duration took;
    private final List<String> failures;
    private final Measurements measurements;
    private final List<BenchBackend> backends;
    private final BenchBackend p3;
    private final ZonedDateTime when = ZonedDateTime.now(ZoneOffset.UTC);
    private double loadBefore = -1;
    private double loadAfter = -1;

    public Report(List<Figure> figures, Profile profile, Duration took, List<String> failures, Measurements measurements, List<BenchBackend> backends,
            BenchBackend p3) {
        this.figures = List.copyOf(figures);
        this.profile = profile;
        this.took = took;
        this.failures = List.copyOf(failures);
        this.measurements = measurements;
        this.backends = List.copyOf(backends);
        this.p3 = p3;
    }

    /** The system load average (1 minute) when the run began and when it ended: how shared the machine was. */
    public Report load(double before, double after) {
        loadBefore = before;
        loadAfter = after;
        return this;
    }

    /** Every figure the selection asks for, in the order; P3 on the backend standing for VT-d. */
    public static List<Figure> figures(Measurements m, Path facts, Profile profile, Set<String> only, List<BenchBackend> backends, BenchBackend p3) {
        Figures f = new Figures(m, facts);
        List<Figure> out = new ArrayList<>();
        boolean all = only.isEmpty();
        for (BenchBackend b : backends) {
            if (all || only.contains("P1") || only.contains("P2")) {
                for (Figure x : f.translate(b)) {
                    if (all || only.contains(x.id())) {
                        out.add(x);
                    }
                }
            }
        }
        if (all || only.contains("P3")) {
            out.add(f.p3(p3, !p3.name().equals("vtd")));
        }
        for (BenchBackend b : backends) {
            if (all || only.contains("P4")) {
                out.add(f.p4(b));
            }
        }
        for (BenchBackend b : backends) {
            if (all || only.contains("P5")) {
                out.add(f.p5(b, profile.faultBatch()));
            }
        }
        for (BenchBackend b : backends) {
            if (all || only.contains("P6")) {
                out.add(f.p6(b));
            }
        }
        if (all || only.contains("P7")) {
            out.addAll(f.p7Areas(profile.areasBatch()));
            for (BenchBackend b : backends) {
                out.add(f.p7Sparse(b));
            }
        }
        if (all || only.contains("P8")) {
            out.add(f.p8());
        }
        return out;
    }

    public String header() {
        return String.format(Locale.ROOT, "ioasid benchmark report: %s profile, %s, JDK %s, %d cores, took %d min %02d s", profile.name(),
                when.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")), System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), took.toMinutes(), took.toSecondsPart());
    }

    /** Writes benchmarks.md and the chart into {@code dir}; returns the markdown file. */
    public Path write(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Chart.Point> points = Chart.points(measurements, p3.name());
        boolean standIn = !p3.name().equals("vtd");
        String title = "P3: IOAS map throughput, " + p3.name() + (standIn ? " standing in for VT-d" : "");
        if (!points.isEmpty()) {
            Chart.write(points, title, dir.resolve(CHART));
        }
        Path md = dir.resolve(FILE);
        Files.writeString(md, markdown(points, standIn));
        return md;
    }

    private String markdown(List<Chart.Point> points, boolean standIn) {
        StringBuilder s = new StringBuilder();
        s.append("# Benchmarks\n\n");
        s.append("The latest report of the short profile, as printed by this command run from the repository root (it also writes this\n");
        s.append("file and its chart):\n\n");
        s.append("```\n").append(COMMAND).append("\n```\n\n");
        s.append("Every figure is a ratio to a baseline measured in the same JMH run: the median of the figure's measurement iterations\n");
        s.append("over the median of its baseline's. No figure is an absolute time; the goals are issue 9's. Where a figure misses its\n");
        s.append("goal, the README's *Known limits* says what we believe the cause is.\n\n");
        s.append("| | |\n|---|---|\n");
        s.append("| date | ").append(when.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"))).append(" |\n");
        s.append("| JDK | ").append(System.getProperty("java.vm.name")).append(' ').append(System.getProperty("java.runtime.version")).append(" (")
                .append(System.getProperty("java.vendor")).append(") |\n");
        s.append("| cores | ").append(Runtime.getRuntime().availableProcessors()).append(" (").append(System.getProperty("os.name")).append(' ')
                .append(System.getProperty("os.arch")).append(") |\n");
        if (loadBefore >= 0) {
            s.append(String.format(Locale.ROOT, "| load | system load average %.2f when the run began, %.2f when it ended (other work on the machine) |%n",
                    loadBefore, loadAfter));
        }
        s.append(String.format(Locale.ROOT, "| profile | %s: %d fork(s), %d warmup and %d measured iterations of 1 s per time benchmark; took %d min %02d s |%n",
                profile.name(), profile.forks(), profile.warmup(), profile.iterations(), took.toMinutes(), took.toSecondsPart()));
        for (BenchBackend b : backends) {
            s.append("| backend | ").append(b.description()).append(" |\n");
        }
        if (standIn) {
            s.append("| P3 | the VT-d backend has not landed: P3 and its chart run on the ").append(p3.name()).append(", labelled as such |\n");
        }
        s.append("\n## Report\n\n```\n").append(header()).append('\n');
        for (Figure f : figures) {
            s.append(f.line()).append('\n');
        }
        for (String f : failures) {
            s.append("failed: ").append(f).append('\n');
        }
        s.append("```\n\n");
        List<Figure> missed = figures.stream().filter(f -> !f.meets()).toList();
        s.append("Meets ").append(figures.size() - missed.size()).append(" of ").append(figures.size()).append(" goals.");
        if (!missed.isEmpty()) {
            s.append(" Misses: ").append(String.join(", ", missed.stream().map(Figure::id).distinct().toList()))
                    .append(" (the README's *Known limits* says why we believe they do).");
        }
        s.append("\n\n## What was measured\n\n| figure | ratio | goal | the numbers behind it |\n|---|---|---|---|\n");
        for (Figure f : figures) {
            s.append("| ").append(f.id()).append(' ').append(f.subject().replace("|", "\\|")).append(" | ")
                    .append(Double.isNaN(f.ratio()) ? "n/a" : Figure.format(f.ratio())).append(" | ").append(f.goal()).append(f.meets() ? " meets" : " **misses**")
                    .append(" | ").append(f.detail().replace("|", "\\|")).append(" |\n");
        }
        s.append("\n## P3's chart\n\n");
        if (points.isEmpty()) {
            s.append("No point of the chart was measured in this run.\n");
        } else {
            s.append("![").append("IOAS map throughput by mapping size").append("](").append(CHART).append(")\n\n");
            s.append("One IOAS map call of each size (its unmap is outside the measurement), with a device attached; the line of a page size\n");
            s.append("uses that size as the largest leaf (4 KiB: HUGE_PAGES off; 2 MiB: an IOVA 2 MiB but not 1 GiB aligned; 1 GiB: all\n");
            s.append("1 GiB aligned). A size below a page size, or one the backend cannot place, has no point. Measured:\n\n");
            s.append("| page | size | GiB/s |\n|---|---|---|\n");
            for (Chart.Point p : points) {
                s.append("| ").append(MapSweepBench.formatSize(p.pageBytes())).append(" | ").append(MapSweepBench.formatSize(p.sizeBytes())).append(" | ")
                        .append(Figure.format(p.gibPerSecond())).append(" |\n");
            }
            long largest = points.stream().mapToLong(Chart.Point::sizeBytes).max().orElse(0);
            if (largest < MapSweepBench.SIZES[MapSweepBench.SIZES.length - 1]) {
                s.append("\nThe chart stops at ").append(MapSweepBench.formatSize(largest)).append(": larger mappings do not fit the ").append(p3.name())
                        .append("'s mappable range ").append(p3.mappable()).append(", so 4 GiB and 16 GiB are measured once a backend with a larger aperture\n")
                        .append("(VT-d, SMMUv3) is P3's backend; the sweep needs no other change.\n");
            }
        }
        return s.toString();
    }
}
