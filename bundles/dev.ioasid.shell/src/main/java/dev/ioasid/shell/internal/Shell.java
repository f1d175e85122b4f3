package dev.ioasid.shell.internal;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import dev.ioasid.api.AccessService;
import dev.ioasid.api.Context;
import dev.ioasid.api.ContextService;
import dev.ioasid.api.DomainService;
import dev.ioasid.api.EndpointService;
import dev.ioasid.api.Errno;
import dev.ioasid.api.FaultService;
import dev.ioasid.api.IoasidService;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.MapFlags;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.Machine;
import dev.ioasid.spi.IommuUnit;

/**
 * What every command needs: the services, and the parsing of arguments as people type them (hex or decimal
 * numbers with K/M/G suffixes, contexts by name, PASIDs or "-", data as 0x-hex or text). Every parse error is
 * an EINVAL with a message that says what was expected.
 */
@Component(immediate = true, service = Shell.class)
public final class Shell {
    final ContextService contexts;
    final DomainService domains;
    final EndpointService endpoints;
    final IoasidService ioasids;
    final FaultService faults;
    final AccessService accesses;
    final Machine machine;
    private final List<IommuUnit> units = new CopyOnWriteArrayList<>();

    @Activate
    public Shell(@Reference ContextService contexts, @Reference DomainService domains, @Reference EndpointService endpoints,
            @Reference IoasidService ioasids, @Reference FaultService faults, @Reference AccessService accesses,
            @Reference Machine machine) {
        this.contexts = contexts;
        this.domains = domains;
        this.endpoints = endpoints;
        this.ioasids = ioasids;
        this.faults = faults;
        this.accesses = accesses;
        this.machine = machine;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    public void bindUnit(IommuUnit unit) {
        units.add(unit);
    }

    public void unbindUnit(IommuUnit unit) {
        units.remove(unit);
    }

    /** The hardware model driving a unit, or null. */
    IommuUnit unit(String id) {
        machine.unit(id);
        for (IommuUnit u : units) {
            if (u.description().id().equals(id)) {
                return u;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ parsing

    /** A context by name (a Context object passed from a variable prints as its name). */
    Context ctx(String name) {
        return contexts.context(name);
    }

    static IommuException einval(String format, Object... args) {
        return IommuException.of(Errno.EINVAL, format, args);
    }

    /**
     * 4096, 0x1000, 4K, 2M, 1G, and sums of them: {@code $ram+0x103000} (Gogo has no arithmetic a script can use
     * on an address; a variable next to {@code +0x...} becomes one word).
     */
    static long number(String what, String text) {
        String t = text == null ? "" : text.trim();
        int plus = t.indexOf('+', 1);
        if (plus > 0) {
            try {
                return Math.addExact(term(what, text, t.substring(0, plus)), number(what, t.substring(plus + 1)));
            } catch (ArithmeticException e) {
                throw einval("%s: '%s' overflows 64 bits", what, text);
            } catch (IommuException e) {
                throw einval("%s: '%s' is not a number (decimal, 0x-hex, with a K/M/G suffix, or a sum a+b)", what, text);
            }
        }
        return term(what, text, t);
    }

    private static long term(String what, String text, String term) {
        String t = term.trim().replace("_", "");
        try {
            long unit = 1;
            if (!t.isEmpty()) {
                switch (Character.toUpperCase(t.charAt(t.length() - 1))) {
                case 'K': unit = 1L << 10; break;
                case 'M': unit = 1L << 20; break;
                case 'G': unit = 1L << 30; break;
                case 'T': unit = 1L << 40; break;
                default: unit = 1;
                }
                if (unit != 1 && !(t.startsWith("0x") || t.startsWith("0X"))) {
                    t = t.substring(0, t.length() - 1);
                } else {
                    unit = 1;
                }
            }
            long v = t.startsWith("0x") || t.startsWith("0X") ? Long.parseUnsignedLong(t.substring(2), 16) : Long.parseLong(t);
            return Math.multiplyExact(v, unit);
        } catch (NumberFormatException | ArithmeticException | StringIndexOutOfBoundsException e) {
            throw einval("%s: '%s' is not a number (decimal, 0x-hex, with a K/M/G suffix, or a sum a+b)", what, text);
        }
    }

    static int id(String what, String text) {
        long v = number(what, text);
        if (v < 0 || v > Integer.MAX_VALUE) {
            throw einval("%s: %s is not an id", what, text);
        }
        return (int) v;
    }

    /** A PASID, or "-" for none. */
    static int pasid(String text) {
        if (text == null || text.equals("-")) {
            return Access.NO_PASID;
        }
        long v = number("pasid", text);
        if (v < 0 || v >= (1 << 20)) {
            throw einval("PASID %s is not a 20-bit value", text);
        }
        return (int) v;
    }

    /** r, w, rw (default rw) as MapFlags. */
    static int perms(String text) {
        String t = text == null ? "rw" : text.toLowerCase();
        switch (t) {
        case "r": return MapFlags.READABLE;
        case "w": return MapFlags.WRITEABLE;
        case "rw":
        case "wr": return MapFlags.READABLE | MapFlags.WRITEABLE;
        default: throw einval("permissions are r, w or rw, not '%s'", text);
        }
    }

    /** 0x-prefixed hex is bytes as written (0xdeadbeef is de ad be ef); anything else is UTF-8 text. */
    static byte[] data(String text) {
        if (text == null || text.isEmpty()) {
            throw einval("no data");
        }
        if ((text.startsWith("0x") || text.startsWith("0X")) && text.length() > 2) {
            String hex = text.substring(2).replace("_", "");
            if (hex.length() % 2 != 0) {
                throw einval("hex data needs an even number of digits: %s", text);
            }
            try {
                return HexFormat.of().parseHex(hex);
            } catch (IllegalArgumentException e) {
                throw einval("not hex data: %s", text);
            }
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
