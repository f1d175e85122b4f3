package dev.ioasid.bench.report;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * What a benchmark fork measures besides time (frames, bytes, counts, hit rates), handed to the report as a
 * small properties file in the directory named by {@value #DIR_PROPERTY}. JMH forks are separate JVMs, so this
 * is the one channel back that needs no JMH extension.
 */
public final class Facts {
    public static final String DIR_PROPERTY = "ioasid.bench.facts";

    private Facts() {
    }

    /** Writes facts {@code name}; does nothing when the fork was started without a facts directory. */
    public static void write(String name, Map<String, ?> values) {
        String dir = System.getProperty(DIR_PROPERTY);
        if (dir == null) {
            return;
        }
        Properties p = new Properties();
        values.forEach((k, v) -> p.setProperty(k, String.valueOf(v)));
        Path file = Path.of(dir).resolve(name + ".properties");
        try {
            Files.createDirectories(file.getParent());
            try (Writer w = Files.newBufferedWriter(file)) {
                p.store(w, null);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Facts {@code name} from {@code dir}, empty when no fork wrote them. */
    public static Properties read(Path dir, String name) {
        Properties p = new Properties();
        Path file = dir.resolve(name + ".properties");
        if (Files.isRegularFile(file)) {
            try (Reader r = Files.newBufferedReader(file)) {
                p.load(r);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return p;
    }
}
