package dev.ioasid.shell.internal;

/** on/off, true/false, 1/0. */
final class OnOff {
    private OnOff() {
    }

    static boolean parse(String s) {
        switch (s == null ? "" : s.toLowerCase()) {
        case "on": case "true": case "1": case "yes": return true;
        case "off": case "false": case "0": case "no": return false;
        default: throw Shell.einval("expected on or off, not '%s'", s);
        }
    }
}
