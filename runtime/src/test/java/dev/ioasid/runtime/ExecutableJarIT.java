package dev.ioasid.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.Test;

/**
 * The exported jar, started as a user starts it: interactive, and in script mode. These run the real
 * launcher in a child JVM; the child's timeout is only a guard against a hang, never an assertion on speed.
 */
public class ExecutableJarIT {

    static final long HANG_GUARD_S = 120;

    /** Output and exit code of one run of the jar. */
    record Run(int exit, String out, String err) {
        String all() {
            return out + err;
        }
    }

    static Run runJar(List<String> jvmArgs, String stdin, Path workDir) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(jvmArgs);
        cmd.add("-jar");
        cmd.add(System.getProperty("ioasid.runtime.jar"));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
        Path out = Files.createTempFile("ioasid-out", ".txt");
        Path err = Files.createTempFile("ioasid-err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
                in.flush();
            }
        }
        if (!p.waitFor(HANG_GUARD_S, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the jar did not exit: " + Files.readString(out) + Files.readString(err));
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    static Path script(String name, String text) throws IOException {
        Path dir = Files.createTempDirectory("ioasid-script");
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    @Test
    public void interactiveStartReachesThePromptWithEveryBundleActive() throws Exception {
        Path work = Files.createTempDirectory("ioasid-work");
        // `lb` lists the bundles; then exit through the System command the profile adds
        Run r = runJar(List.of("-Dorg.jline.terminal.dumb=true"), "lb\nsystem:exit 0\n", work);
        assertEquals(r.all(), 0, r.exit());
        assertTrue("reached the g! prompt:\n" + r.all(), r.out().contains("g! "));
        Pattern row = Pattern.compile("^\\s*(\\d+)\\|(\\w+)\\s*\\|\\s*\\d+\\|(.*)$", Pattern.MULTILINE);
        Matcher m = row.matcher(r.out());
        int bundles = 0;
        List<String> notUp = new ArrayList<>();
        while (m.find()) {
            bundles++;
            String state = m.group(2);
            String name = m.group(3);
            boolean fragment = name.contains("gosh profile") || name.contains("SPI Fly");
            if (!(state.equals("Active") || (fragment && state.equals("Resolved")))) {
                notUp.add(name.trim() + " " + state);
            }
        }
        assertTrue("lb listed the bundles:\n" + r.out(), bundles >= RuntimeTestSupport.runBundles().size());
        assertTrue("bundles not up: " + notUp, notUp.isEmpty());
        assertTrue("the load/ directory was created for FileInstall", Files.isDirectory(work.resolve("load")));
    }

    @Test
    public void aScriptPrintsItsOutputAndExitsZero() throws Exception {
        Path s = script("ok.gosh", "# a comment\nctx:open vm1\necho hello from the script\nctx:list\nctx:close vm1\n");
        Run r = runJar(List.of("-Dioasid.script=" + s), null, s.getParent());
        assertEquals(r.all(), 0, r.exit());
        assertTrue(r.all(), r.out().contains("hello from the script"));
        assertTrue(r.all(), r.out().contains("vm1"));
        assertTrue(r.all(), r.out().contains("closed vm1"));
        assertTrue("no stack trace: " + r.all(), !r.all().contains("\tat "));
    }

    @Test
    public void aScriptWithAFailingCommandExitsNonZeroWithOneLine() throws Exception {
        Path s = script("fail.gosh", "echo before\nctx:close nosuch\necho never\n");
        Run r = runJar(List.of("-Dioasid.script=" + s), null, s.getParent());
        assertNotEquals(r.all(), 0, r.exit());
        assertTrue(r.all(), r.out().contains("before"));
        assertTrue(r.all(), !r.out().contains("never"));
        assertTrue(r.all(), r.all().contains("ENOENT: no context nosuch"));
        assertTrue("no stack trace: " + r.all(), !r.all().contains("\tat "));
    }

    @Test
    public void anUnknownCommandFailsTheScript() throws Exception {
        Path s = script("typo.gosh", "ctx:opne vm1\n");
        Run r = runJar(List.of("-Dioasid.script=" + s), null, s.getParent());
        assertNotEquals(r.all(), 0, r.exit());
        assertTrue(r.all(), r.all().contains("Command not found: ctx:opne"));
    }
}
