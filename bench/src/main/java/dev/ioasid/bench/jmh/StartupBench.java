package dev.ioasid.bench.jmh;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

/**
 * P8: from launching {@code java -jar <jar>} to every bundle ACTIVE, for the exported runtime
 * (runtime/target/ioasid.jar) and for a bare Felix + SCR + Gogo exported by the same bnd launcher
 * (bench/target/p8-bare.jar). Both run the same Gogo script through {@code gosh.args}; gogo.jline starts last
 * (start level 100), so the script runs once every other bundle has started: it lists every bundle with its
 * state and prints a marker. The measurement ends at the marker; the list is checked after it (every bundle
 * ACTIVE, fragments RESOLVED) and the JVM's exit is awaited outside the measurement.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = { "-Xmx256m" })
public class StartupBench {
    public static final String RUNTIME_JAR_PROPERTY = "ioasid.bench.runtimeJar";
    public static final String BARE_JAR_PROPERTY = "ioasid.bench.bareJar";
    static final String MARKER = "P8-READY";
    static final String SCRIPT = String.join("\n",
            "each ($.context bundles) { echo P8-BUNDLE ($it bundleId) ($it state) ($it symbolicName) (($it headers) get Fragment-Host) }",
            "echo " + MARKER, "");
    static final int ACTIVE = 32;
    static final int RESOLVED = 4;

    @Param({ "ioasid", "bare" })
    public String jar;

    Path jarFile;
    Path work;
    Path script;
    Process process;
    List<String> lines;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        String p = System.getProperty(jar.equals("ioasid") ? RUNTIME_JAR_PROPERTY : BARE_JAR_PROPERTY);
        if (p == null || !Files.isRegularFile(Path.of(p))) {
            throw new IllegalStateException("no " + jar + " jar: " + p);
        }
        jarFile = Path.of(p).toAbsolutePath();
        work = Files.createTempDirectory("ioasid-p8");
        script = work.resolve("p8.gosh");
        Files.writeString(script, SCRIPT);
    }

    @Benchmark
    public int p8Start() throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Dgosh.args=" + script, "-Dorg.jline.terminal.dumb=true", "-jar", jarFile.toString())
                .directory(work.toFile()).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.PIPE);
        process = pb.start();
        process.getOutputStream().close();
        lines = new ArrayList<>();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith(MARKER)) {
                return lines.size();
            }
            lines.add(line);
        }
        throw new IllegalStateException(jar + " jar exited without reaching its script:\n" + String.join("\n", lines));
    }

    @TearDown(Level.Invocation)
    public void check() throws InterruptedException, IOException {
        try {
            int bundles = 0;
            List<String> notUp = new ArrayList<>();
            for (String l : lines) {
                if (!l.startsWith("P8-BUNDLE ")) {
                    continue;
                }
                String[] f = l.split(" ");
                bundles++;
                int state = Integer.parseInt(f[2]);
                boolean fragment = f.length > 4 && !f[4].isEmpty();
                if (state != (fragment ? RESOLVED : ACTIVE)) {
                    notUp.add(f[3] + " state " + state);
                }
            }
            if (bundles < 2 || !notUp.isEmpty()) {
                throw new IllegalStateException(jar + ": " + bundles + " bundles, not up: " + notUp);
            }
        } finally {
            process.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    @TearDown(Level.Trial)
    public void teardown() throws IOException {
        try (var files = Files.walk(work)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
