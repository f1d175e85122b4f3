package dev.ioasid.api;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PCI function: segment, bus, device and function. Its requester id (RID) is {@code bus << 8 | devfn}, with
 * {@code devfn = device << 3 | function}.
 */
public record PciAddress(int segment, int bus, int device, int function) implements Comparable<PciAddress> {
    private static final Pattern BDF = Pattern.compile(
            "(?:([0-9a-fA-F]{1,4}):)?([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})\\.([0-7])");

    public PciAddress {
        if (segment < 0 || segment > 0xffff || bus < 0 || bus > 0xff || device < 0 || device > 0x1f
                || function < 0 || function > 7) {
            throw IommuException.of(Errno.EINVAL, "not a PCI address: %04x:%02x:%02x.%d", segment, bus, device, function);
        }
    }

    /** From a segment and a 16-bit RID. */
    public static PciAddress ofRid(int segment, int rid) {
        return new PciAddress(segment, (rid >> 8) & 0xff, (rid >> 3) & 0x1f, rid & 7);
    }

    /** Parses {@code ssss:bb:dd.f} or {@code bb:dd.f} (segment 0), hex as lspci prints it. */
    public static PciAddress parse(String text) {
        Matcher m = BDF.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw IommuException.of(Errno.EINVAL, "not a PCI address: '%s' (expected ssss:bb:dd.f, e.g. 0000:00:02.0)", text);
        }
        int seg = m.group(1) == null ? 0 : Integer.parseInt(m.group(1), 16);
        return new PciAddress(seg, Integer.parseInt(m.group(2), 16), Integer.parseInt(m.group(3), 16),
                Integer.parseInt(m.group(4)));
    }

    /** {@code device << 3 | function}. */
    public int devfn() {
        return device << 3 | function;
    }

    /** The requester id, {@code bus << 8 | devfn}: what tags this function's TLPs. */
    public int rid() {
        return bus << 8 | devfn();
    }

    @Override
    public int compareTo(PciAddress o) {
        int c = Integer.compare(segment, o.segment);
        return c != 0 ? c : Integer.compare(rid(), o.rid());
    }

    @Override
    public String toString() {
        return String.format("%04x:%02x:%02x.%d", segment, bus, device, function);
    }
}
