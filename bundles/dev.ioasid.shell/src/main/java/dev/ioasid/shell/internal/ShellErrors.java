package dev.ioasid.shell.internal;

import dev.ioasid.api.IommuException;

/** Turns any failure of a command into the one line the user sees: {@code <ERRNO>: <message>}. */
final class ShellErrors {
    private ShellErrors() {
    }

    static String oneLine(Throwable t) {
        Throwable e = t;
        while (e.getCause() != null && !(e instanceof IommuException)) {
            e = e.getCause();
        }
        if (e instanceof IommuException) {
            return e.getMessage();
        }
        String msg = t.getMessage();
        if (msg == null || msg.isBlank()) {
            msg = t.getClass().getSimpleName();
        }
        if (t instanceof IllegalArgumentException) {
            return "EINVAL: " + msg;
        }
        return "error: " + msg;
    }
}
