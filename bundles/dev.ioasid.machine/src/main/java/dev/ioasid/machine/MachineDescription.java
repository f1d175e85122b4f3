package dev.ioasid.machine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.PciAddress;

/**
 * What a machine is made of: physical memory, IOMMU units and PCI devices. The text format, one statement per
 * line, {@code #} starts a comment:
 *
 * <pre>
 * memory 64G
 * unit mock0 mock [key=value ...]
 * unit vtd0 vtd profile=server
 * device 0000:00:01.0 mock0 name=dsa0 pasid=20 ats pri exec priv wqs=4
 * device 0000:00:02.0 mock0 name=nic0
 * </pre>
 *
 * A device line names its PCI address and its unit; then flags ({@code ats}, {@code pri}, {@code exec},
 * {@code priv}) and settings ({@code name=}, {@code pasid=<bits>}, and any other {@code key=value}, kept for
 * the device's model).
 */
public record MachineDescription(long memorySize, List<UnitDescription> units, List<PciDevice> devices) {
    public static final long DEFAULT_MEMORY = 64L << 30;

    public MachineDescription {
        units = List.copyOf(units);
        devices = List.copyOf(devices);
    }

    /** The built-in demo machine (resource {@code default.machine} of this bundle). */
    public static MachineDescription builtIn() {
        try (InputStream in = MachineDescription.class.getResourceAsStream("default.machine")) {
            if (in == null) {
                throw new IllegalStateException("default.machine is missing from dev.ioasid.machine");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "default.machine");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads a machine file. @throws IommuException ENOENT when it cannot be read, EINVAL on a bad line */
    public static MachineDescription load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw IommuException.of(Errno.ENOENT, "cannot read machine file %s: %s", file, e.getMessage());
        }
        return parse(text, file.toString());
    }

    /** Parses the text format. @throws IommuException EINVAL naming the line that is wrong */
    public static MachineDescription parse(String text, String source) {
        long memory = DEFAULT_MEMORY;
        List<UnitDescription> units = new ArrayList<>();
        List<PciDevice> devices = new ArrayList<>();
        Set<String> unitIds = new HashSet<>();
        Set<PciAddress> addresses = new HashSet<>();
        String[] lines = text.split("\\R", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            line = line.trim();
            if (line.isEmpty()) {
                continue;
            }
            String[] w = line.split("\\s+");
            String where = source + ":" + (i + 1);
            try {
                switch (w[0]) {
                case "memory":
                    expect(w.length == 2, "memory <size>");
                    memory = parseSize(w[1]);
                    expect(memory >= (16 << 20) && (memory & ((16 << 20) - 1)) == 0, "memory must be a multiple of 16M");
                    break;
                case "unit": {
                    expect(w.length >= 3, "unit <id> <vendor> [key=value ...]");
                    expect(unitIds.add(w[1]), "unit " + w[1] + " is declared twice");
                    Map<String, String> props = new LinkedHashMap<>();
                    for (int k = 3; k < w.length; k++) {
                        String[] kv = w[k].split("=", 2);
                        expect(kv.length == 2, "unit settings are key=value: " + w[k]);
                        props.put(kv[0], kv[1]);
                    }
                    units.add(new UnitDescription(w[1], w[2], props));
                    break;
                }
                case "device": {
                    expect(w.length >= 3, "device <segment:bus:dev.fn> <unit> [flags and key=value ...]");
                    PciAddress addr = PciAddress.parse(w[1]);
                    expect(addresses.add(addr), "device " + addr + " is declared twice");
                    expect(unitIds.contains(w[2]), "device " + addr + " names unit " + w[2] + ", which is not declared above it");
                    String name = addr.toString();
                    int pasid = 0;
                    boolean ats = false, pri = false, exec = false, priv = false;
                    Map<String, String> props = new LinkedHashMap<>();
                    for (int k = 3; k < w.length; k++) {
                        String[] kv = w[k].split("=", 2);
                        if (kv.length == 1) {
                            switch (kv[0]) {
                            case "ats": ats = true; break;
                            case "pri": pri = true; break;
                            case "exec": exec = true; break;
                            case "priv": priv = true; break;
                            default: throw IommuException.of(Errno.EINVAL, "unknown device flag %s (ats, pri, exec, priv)", kv[0]);
                            }
                        } else if (kv[0].equals("name")) {
                            name = kv[1];
                        } else if (kv[0].equals("pasid")) {
                            pasid = Integer.parseInt(kv[1]);
                            expect(pasid >= 0 && pasid <= 20, "pasid=<bits> must be 0 to 20");
                        } else {
                            props.put(kv[0], kv[1]);
                        }
                    }
                    expect(!(exec || priv) || pasid > 0, "exec and priv need a PASID capability (pasid=<bits>)");
                    devices.add(new PciDevice(addr, name, w[2], new DeviceCapabilities(pasid, ats, pri, exec, priv), props));
                    break;
                }
                default:
                    throw IommuException.of(Errno.EINVAL, "unknown statement '%s' (memory, unit, device)", w[0]);
                }
            } catch (IommuException e) {
                throw IommuException.of(Errno.EINVAL, "%s: %s", where, e.detail());
            } catch (RuntimeException e) {
                throw IommuException.of(Errno.EINVAL, "%s: %s", where, e.getMessage());
            }
        }
        return new MachineDescription(memory, units, devices);
    }

    private static void expect(boolean ok, String what) {
        if (!ok) {
            throw IommuException.of(Errno.EINVAL, "%s", what);
        }
    }

    /** "4096", "0x1000", "16M", "64G", "1T", "4K". */
    public static long parseSize(String s) {
        String t = s.trim();
        long unit = 1;
        char last = Character.toUpperCase(t.charAt(t.length() - 1));
        switch (last) {
        case 'K': unit = 1L << 10; break;
        case 'M': unit = 1L << 20; break;
        case 'G': unit = 1L << 30; break;
        case 'T': unit = 1L << 40; break;
        default: unit = 1;
        }
        if (unit != 1) {
            t = t.substring(0, t.length() - 1);
        }
        long v = t.startsWith("0x") || t.startsWith("0X") ? Long.parseUnsignedLong(t.substring(2), 16) : Long.parseLong(t);
        return Math.multiplyExact(v, unit);
    }
}
