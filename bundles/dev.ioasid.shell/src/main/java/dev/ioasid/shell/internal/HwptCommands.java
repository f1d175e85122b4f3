package dev.ioasid.shell.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.HwptDataType;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.VendorData;

/**
 * hwpt:alloc and hwpt:invalidate. Flags and vendor data are words after the ids:
 * {@code nest_parent dirty pasid fault=<queue>} and {@code type=selftest iotlb=0xbadbeef},
 * {@code type=vtd_s1 pgtbl=0x... aw=48 sre wpe eafe}, {@code type=smmuv3 ste0=0x... ste1=0x...}.
 */
@Component(service = HwptCommands.class, property = { "osgi.command.scope=hwpt", "osgi.command.function=alloc",
        "osgi.command.function=invalidate" })
public final class HwptCommands {
    private final Shell sh;

    @Activate
    public HwptCommands(@Reference Shell sh) {
        this.sh = sh;
    }

    @Descriptor("allocate an HWPT: paging on an IOAS, or nested on a NEST_PARENT HWPT with vendor data; returns its id")
    public int alloc(@Descriptor("the context") String ctx, @Descriptor("device id the HWPT is made for") String dev,
            @Descriptor("IOAS id (paging) or parent HWPT id (nested)") String pt,
            @Descriptor("flags: nest_parent dirty pasid fault=<queue>; vendor data: type=selftest|vtd_s1|smmuv3 and its fields")
            String... words) {
        int flags = 0;
        int fault = 0;
        Map<String, String> data = new LinkedHashMap<>();
        for (String w : words) {
            String k = w.contains("=") ? w.substring(0, w.indexOf('=')).toLowerCase() : w.toLowerCase();
            String v = w.contains("=") ? w.substring(w.indexOf('=') + 1) : null;
            switch (k) {
            case "nest_parent": flags |= HwptFlags.NEST_PARENT; break;
            case "dirty": case "dirty_tracking": flags |= HwptFlags.DIRTY_TRACKING; break;
            case "pasid": flags |= HwptFlags.PASID; break;
            case "fault":
                flags |= HwptFlags.FAULT_ID_VALID;
                fault = Shell.id("fault", v);
                break;
            default:
                data.put(k, v);
            }
        }
        int type = HwptDataType.NONE;
        byte[] bytes = null;
        if (!data.isEmpty()) {
            String t = data.remove("type");
            if (t == null) {
                throw Shell.einval("vendor data needs type=selftest, vtd_s1 or smmuv3 (got %s)", data.keySet());
            }
            switch (t.toLowerCase()) {
            case "selftest":
                type = HwptDataType.SELFTEST;
                bytes = VendorData.selftest((int) num(data, "iotlb", 0), (int) num(data, "pagetable_type", 0));
                break;
            case "vtd_s1":
                type = HwptDataType.VTD_S1;
                long vf = (data.containsKey("sre") ? VendorData.VTD_S1_SRE : 0) | (data.containsKey("eafe") ? VendorData.VTD_S1_EAFE : 0)
                        | (data.containsKey("wpe") ? VendorData.VTD_S1_WPE : 0) | num(data, "flags", 0);
                bytes = VendorData.vtdS1(vf, num(data, "pgtbl", 0), (int) num(data, "aw", 48));
                data.remove("sre");
                data.remove("eafe");
                data.remove("wpe");
                break;
            case "smmuv3":
                type = HwptDataType.ARM_SMMUV3;
                bytes = VendorData.armSmmuv3(num(data, "ste0", 0), num(data, "ste1", 0));
                break;
            default:
                throw Shell.einval("unknown vendor data type %s (selftest, vtd_s1, smmuv3)", t);
            }
            data.keySet().removeAll(List.of("iotlb", "pagetable_type", "flags", "pgtbl", "aw", "ste0", "ste1"));
            if (!data.isEmpty()) {
                throw Shell.einval("unknown words %s", data.keySet());
            }
        }
        return sh.domains.hwptAlloc(sh.ctx(ctx), new HwptAlloc(Shell.id("dev", dev), Shell.id("pt", pt), flags, fault, type, bytes));
    }

    private static long num(Map<String, String> m, String key, long fallback) {
        String v = m.get(key);
        return v == null ? fallback : Shell.number(key, v);
    }

    @Descriptor("hand invalidation entries to a nested HWPT; returns how many were handled. An entry is comma-separated "
            + "words: selftest iotlb=<id> or all; vtd_s1 addr=<iova>,npages=<n>[,leaf]; smmuv3 cmd0=<hex>,cmd1=<hex>")
    public String invalidate(@Descriptor("the context") String ctx, @Descriptor("nested HWPT id") String hwpt,
            @Descriptor("entries") String... entries) {
        if (entries.length == 0) {
            throw Shell.einval("no entries");
        }
        int type = -1;
        List<byte[]> encoded = new ArrayList<>();
        for (String e : entries) {
            Map<String, String> kv = new LinkedHashMap<>();
            for (String w : e.split(",")) {
                String[] p = w.split("=", 2);
                kv.put(p[0].trim().toLowerCase(), p.length == 2 ? p[1].trim() : null);
            }
            int t;
            byte[] b;
            if (kv.containsKey("iotlb") || kv.containsKey("all")) {
                t = HwptDataType.INVALIDATE_SELFTEST;
                b = VendorData.selftestInvalidate(kv.containsKey("all") ? VendorData.SELFTEST_INVALIDATE_ALL : 0, (int) num(kv, "iotlb", 0));
            } else if (kv.containsKey("addr") || kv.containsKey("npages")) {
                t = HwptDataType.INVALIDATE_VTD_S1;
                b = VendorData.vtdS1Invalidate(num(kv, "addr", 0), num(kv, "npages", 1), kv.containsKey("leaf") ? VendorData.VTD_S1_INVALIDATE_LEAF : 0);
            } else if (kv.containsKey("cmd0")) {
                t = HwptDataType.INVALIDATE_ARM_SMMUV3;
                b = VendorData.armSmmuv3Invalidate(num(kv, "cmd0", 0), num(kv, "cmd1", 0));
            } else {
                throw Shell.einval("entry '%s' is none of: iotlb=<id>|all, addr=..,npages=..[,leaf], cmd0=..,cmd1=..", e);
            }
            if (type != -1 && type != t) {
                throw Shell.einval("entries of one call have one type");
            }
            type = t;
            encoded.add(b);
        }
        int done = sh.domains.hwptInvalidate(sh.ctx(ctx), Shell.id("hwpt", hwpt), type, encoded.get(0).length,
                VendorData.concat(encoded.toArray(new byte[0][])), encoded.size());
        return "invalidated " + done + " entr" + (done == 1 ? "y" : "ies");
    }
}
