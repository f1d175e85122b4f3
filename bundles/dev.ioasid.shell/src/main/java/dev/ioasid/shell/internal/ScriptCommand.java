package dev.ioasid.shell.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.felix.gogo.runtime.Parser;
import org.apache.felix.gogo.runtime.Token;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;

/**
 * Script mode: {@code java -Dioasid.script=<file> -jar ioasid.jar}. The gosh profile calls
 * {@code ioasid:script <file>}, which runs the file statement by statement, prints each result as the
 * interactive shell would, and exits the JVM: 0 when every statement succeeded, 1 at the first failure
 * (printed as one line, never a stack trace).
 */
@Component(service = ScriptCommand.class, property = {
        "osgi.command.scope=ioasid",
        "osgi.command.function=script",
        "osgi.command.function=run" })
public final class ScriptCommand {

    @Descriptor("run a Gogo script, printing each result, then exit the JVM with 0 or, at the first error, 1")
    public void script(CommandSession session, @Descriptor("path of the script, relative to the working directory") String path) {
        int status = run(session, path) ? 0 : 1;
        System.out.flush();
        System.err.flush();
        System.exit(status);
    }

    @Descriptor("run a Gogo script in this session, printing each result; stops at the first error")
    public boolean run(CommandSession session, @Descriptor("path of the script, relative to the working directory") String path) {
        String text;
        try {
            text = Files.readString(session.currentDir().resolve(Path.of(path)));
        } catch (IOException | RuntimeException e) {
            System.err.println("ENOENT: cannot read script " + path + ": " + e.getMessage());
            return false;
        }
        Parser.Program program;
        try {
            program = new Parser(text).program();
        } catch (RuntimeException e) {
            System.err.println("EINVAL: " + path + ": syntax error: " + e.getMessage());
            return false;
        }
        for (Parser.Executable statement : program.tokens()) {
            Token token = (Token) statement;
            try {
                Object result = session.execute(token);
                if (result != null && !isAssignment(statement)) {
                    System.out.println(session.format(result, Converter.INSPECT));
                }
            } catch (Exception e) {
                System.err.println(ShellErrors.oneLine(e) + "    (" + path + ":" + (token.line() + 1) + ": " + firstLine(token) + ")");
                return false;
            }
        }
        return true;
    }

    private static boolean isAssignment(Parser.Executable statement) {
        if (statement instanceof Parser.Statement) {
            var tokens = ((Parser.Statement) statement).tokens();
            return tokens.size() >= 2 && "=".contentEquals(tokens.get(1));
        }
        return false;
    }

    private static String firstLine(CharSequence token) {
        String s = token.toString().strip();
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl) + " ...";
    }
}
