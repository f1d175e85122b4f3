package dev.ioasid.runtime;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.frameworkStartLevel;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.inject.Inject;

import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.BundleContext;

/**
 * Base class of the Pax Exam tests: it boots exactly the bundles that the runtime ships, read from the bnd
 * runbundles export of runtime/ioasid.bndrun (target/export/ioasid), with the start levels and framework
 * properties of the exported launcher, so that the tests test what ships.
 */
public abstract class RuntimeTestSupport {

    /**
     * Where FileInstall looks in the tests. It comes from a system property because this class is loaded twice:
     * once by the test JVM to configure the framework, once inside it by the probe bundle.
     */
    protected static final Path LOAD_DIR = loadDir();

    @Inject
    protected BundleContext context;

    @Configuration
    public Option[] config() throws IOException {
        List<Option> options = new ArrayList<>();
        for (File jar : runBundles()) {
            Manifest mf;
            try (JarFile jf = new JarFile(jar)) {
                mf = jf.getManifest();
            }
            String bsn = mf.getMainAttributes().getValue("Bundle-SymbolicName").split(";")[0].trim();
            String url = jar.toURI().toString();
            if (mf.getMainAttributes().getValue("Fragment-Host") != null) {
                options.add(bundle(url).noStart());
            } else {
                options.add(bundle(url).startLevel(startLevel(bsn)));
            }
        }
        options.add(junitBundles());
        options.add(cleanCaches());
        options.add(frameworkStartLevel(100));
        for (var e : launcherRunProperties().entrySet()) {
            options.add(frameworkProperty((String) e.getKey()).value(e.getValue()));
        }
        // gogo.jline is part of the runtime, but the tests have no console
        options.add(frameworkProperty("gosh.args").value("--nointeractive"));
        options.add(systemProperty("org.jline.terminal.dumb").value("true"));
        options.add(frameworkProperty("felix.fileinstall.dir").value(LOAD_DIR.toString()));
        options.add(frameworkProperty("felix.fileinstall.poll").value("200"));
        options.addAll(Arrays.asList(extraOptions()));
        return options.toArray(new Option[0]);
    }

    /** Options a test class adds on top of the shipped runtime. */
    protected Option[] extraOptions() {
        return new Option[0];
    }

    /** The jars of the runtime, as the bnd runbundles exporter wrote them. */
    static List<File> runBundles() {
        String dir = System.getProperty("ioasid.runbundles");
        if (dir == null) {
            throw new IllegalStateException("system property ioasid.runbundles is not set; run the tests through mvn verify");
        }
        File[] jars = new File(dir).listFiles((d, n) -> n.endsWith(".jar"));
        if (jars == null || jars.length == 0) {
            throw new IllegalStateException("no run bundles in " + dir);
        }
        Arrays.sort(jars);
        return Arrays.asList(jars);
    }

    /** The start level ioasid.bndrun gives a bundle, as the exported launcher records it. */
    private static int startLevel(String bsn) throws IOException {
        String attrs = launcherProperties().getProperty("launch.runbundles.attrs", "");
        Matcher m = Pattern.compile("(?:^|,)" + Pattern.quote(bsn) + ";[^,]*?startlevel=(\\d+)").matcher(attrs);
        return m.find() ? Integer.parseInt(m.group(1)) : 10;
    }

    /** The -runproperties baked into the exported launcher jar, minus the launcher's own settings. */
    static Properties launcherRunProperties() throws IOException {
        Properties result = new Properties();
        Properties all = launcherProperties();
        for (String key : all.stringPropertyNames()) {
            if (!key.startsWith("launch.") && !key.startsWith("launcher.") && !key.startsWith("org.osgi.framework.startlevel")) {
                result.put(key, all.getProperty(key));
            }
        }
        return result;
    }

    /** launcher.properties of the exported jar (runtime/target/ioasid.jar). */
    static Properties launcherProperties() throws IOException {
        String jar = System.getProperty("ioasid.runtime.jar");
        if (jar == null) {
            throw new IllegalStateException("system property ioasid.runtime.jar is not set; run the tests through mvn verify");
        }
        Properties all = new Properties();
        try (JarFile jf = new JarFile(jar)) {
            var entry = jf.getEntry("launcher.properties");
            if (entry == null) {
                throw new IllegalStateException(jar + " has no launcher.properties");
            }
            try (InputStream in = jf.getInputStream(entry)) {
                all.load(in);
            }
        }
        return all;
    }

    private static Path loadDir() {
        String dir = System.getProperty("ioasid.it.loaddir");
        if (dir == null) {
            throw new IllegalStateException("system property ioasid.it.loaddir is not set; run the tests through mvn verify");
        }
        try {
            return Files.createDirectories(Path.of(dir));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
