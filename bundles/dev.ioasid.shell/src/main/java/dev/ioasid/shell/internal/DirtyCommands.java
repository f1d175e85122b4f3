package dev.ioasid.shell.internal;

import java.util.ArrayList;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** dirty:track, dirty:bitmap. */
@Component(service = DirtyCommands.class, property = { "osgi.command.scope=dirty", "osgi.command.function=track",
        "osgi.command.function=bitmap" })
public final class DirtyCommands {
    private final Shell sh;

    @Activate
    public DirtyCommands(@Reference Shell sh) {
        this.sh = sh;
    }

    @Descriptor("start or stop dirty tracking on an HWPT allocated with the dirty flag")
    public String track(@Descriptor("the context") String ctx, @Descriptor("HWPT id") String hwpt, @Descriptor("on or off") String onOff) {
        boolean on = OnOff.parse(onOff);
        sh.domains.hwptSetDirtyTracking(sh.ctx(ctx), Shell.id("hwpt", hwpt), on);
        return "dirty tracking " + (on ? "on" : "off");
    }

    @Descriptor("read and clear the dirty bits: the dirty pages of [iova, iova+length) at a page size")
    public List<String> bitmap(@Descriptor("the context") String ctx, @Descriptor("HWPT id") String hwpt, @Descriptor("IOVA") String iova,
            @Descriptor("bytes") String length, @Descriptor("page size of one bit") String pageSize) {
        long start = Shell.number("iova", iova);
        long page = Shell.number("page size", pageSize);
        long[] bits = sh.domains.hwptGetDirtyBitmap(sh.ctx(ctx), Shell.id("hwpt", hwpt), start, Shell.number("length", length), page, 0);
        List<String> out = new ArrayList<>();
        StringBuilder hex = new StringBuilder("bitmap");
        for (long w : bits) {
            hex.append(' ').append(String.format("%016x", w));
        }
        out.add(hex.toString());
        for (int i = 0; i < bits.length * 64; i++) {
            if ((bits[i >>> 6] >>> (i & 63) & 1) != 0) {
                out.add("dirty " + Shell.hex(start + i * page));
            }
        }
        return out;
    }
}
