package dev.ioasid.shell.internal;

import java.util.ArrayList;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.ioasid.api.Area;
import dev.ioasid.api.Context;
import dev.ioasid.api.IoasOption;
import dev.ioasid.api.IovaRange;
import dev.ioasid.api.IovaRanges;
import dev.ioasid.api.MapFlags;

/** ioas:alloc, map, unmap, ranges, copy, areas, allow, hugepages. */
@Component(service = IoasCommands.class, property = { "osgi.command.scope=ioas", "osgi.command.function=alloc",
        "osgi.command.function=map", "osgi.command.function=unmap", "osgi.command.function=ranges", "osgi.command.function=copy",
        "osgi.command.function=areas", "osgi.command.function=allow", "osgi.command.function=hugepages" })
public final class IoasCommands {
    private final Shell sh;

    @Activate
    public IoasCommands(@Reference Shell sh) {
        this.sh = sh;
    }

    @Descriptor("allocate an I/O address space; returns its id")
    public int alloc(@Descriptor("the context") String ctx) {
        return sh.domains.ioasAlloc(sh.ctx(ctx));
    }

    @Descriptor("map user memory into an IOAS; returns the IOVA")
    public Hex map(@Descriptor("the context") String ctx, @Descriptor("IOAS id") String ioas,
            @Descriptor("IOVA, or auto to let the IOAS pick one") String iova, @Descriptor("bytes") String length,
            @Descriptor("user VA (from mem:alloc)") String va) {
        return map(ctx, ioas, iova, length, va, "rw");
    }

    @Descriptor("map user memory into an IOAS with permissions; returns the IOVA")
    public Hex map(@Descriptor("the context") String ctx, @Descriptor("IOAS id") String ioas,
            @Descriptor("IOVA, or auto to let the IOAS pick one") String iova, @Descriptor("bytes") String length,
            @Descriptor("user VA (from mem:alloc)") String va, @Descriptor("r, w or rw") String perms) {
        boolean auto = "auto".equalsIgnoreCase(iova);
        int flags = Shell.perms(perms) | (auto ? 0 : MapFlags.FIXED_IOVA);
        return new Hex(sh.domains.ioasMap(sh.ctx(ctx), Shell.id("ioas", ioas), Shell.number("va", va), Shell.number("length", length),
                auto ? 0 : Shell.number("iova", iova), flags));
    }

    @Descriptor("unmap whole mappings in [iova, iova+length); returns the bytes unmapped (0 -1 unmaps all)")
    public Hex unmap(@Descriptor("the context") String ctx, @Descriptor("IOAS id") String ioas, @Descriptor("IOVA") String iova,
            @Descriptor("bytes") String length) {
        return new Hex(sh.domains.ioasUnmap(sh.ctx(ctx), Shell.id("ioas", ioas), Shell.number("iova", iova), Shell.number("length", length)));
    }

    @Descriptor("the IOVA ranges where a map may go, and the alignment")
    public List<String> ranges(@Descriptor("the context") String ctx, @Descriptor("IOAS id") String ioas) {
        IovaRanges r = sh.domains.ioasIovaRanges(sh.ctx(ctx), Shell.id("ioas", ioas));
        List<String> out = new ArrayList<>();
        for (IovaRange x : r.ranges()) {
            out.add(x.toString());
        }
        out.add("alignment " + Shell.hex(r.alignment()));
        return out;
    }

    @Descriptor("map into one IOAS the pages another IOAS maps; returns the destination IOVA")
    public Hex copy(@Descriptor("the context") String ctx, @Descriptor("destination IOAS") String dst,
            @Descriptor("destination IOVA, or auto") String dstIova, @Descriptor("source IOAS") String src,
            @Descriptor("source IOVA") String srcIova, @Descriptor("bytes") String length) {
        boolean auto = "auto".equalsIgnoreCase(dstIova);
        int flags = MapFlags.READABLE | MapFlags.WRITEABLE | (auto ? 0 : MapFlags.FIXED_IOVA);
        return new Hex(sh.domains.ioasCopy(sh.ctx(ctx), Shell.id("destination ioas", dst), auto ? 0 : Shell.number("iova", dstIova),
                Shell.id("source ioas", src), Shell.number("source iova", srcIova), Shell.number("length", length), flags));
    }

    @Descriptor("the mappings of an IOAS")
    public List<Area> areas(@Descriptor("the context") String ctx, @Descriptor("IOAS id") String ioas) {
        return sh.domains.ioasAreas(sh.ctx(ctx), Shell.id("ioas", ioas));
    }

    @Descriptor("set the allowed IOVA ranges (start-last ...); none allows everything")
    public String allow(@Descriptor("the context") String ctx, @Descriptor("IOAS id") String ioas,
            @Descriptor("ranges as start-last, e.g. 0x100000-0x1fffff") String... ranges) {
        List<IovaRange> list = new ArrayList<>();
        for (String r : ranges) {
            String[] se = r.split("-");
            if (se.length != 2) {
                throw Shell.einval("a range is start-last, not %s", r);
            }
            list.add(new IovaRange(Shell.number("start", se[0]), Shell.number("last", se[1])));
        }
        sh.domains.ioasAllowIovas(sh.ctx(ctx), Shell.id("ioas", ioas), list);
        return list.isEmpty() ? "everything allowed" : "allowed " + list;
    }

    @Descriptor("turn huge IOMMU pages on or off for an IOAS (IOMMU_OPTION_HUGE_PAGES)")
    public String hugepages(@Descriptor("the context") String ctx, @Descriptor("IOAS id") String ioas, @Descriptor("on or off") String onOff) {
        Context c = sh.ctx(ctx);
        sh.domains.optionSet(c, IoasOption.HUGE_PAGES, Shell.id("ioas", ioas), OnOff.parse(onOff) ? 1 : 0);
        return "huge pages " + (OnOff.parse(onOff) ? "on" : "off");
    }
}
