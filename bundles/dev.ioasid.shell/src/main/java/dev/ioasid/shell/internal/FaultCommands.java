package dev.ioasid.shell.internal;

import java.util.ArrayList;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.ioasid.api.Context;
import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.PageFault;
import dev.ioasid.api.PageResponse;
import dev.ioasid.api.UnitEventRecord;

/** fault:queue, list, respond; fault:events and fault:eventq for event queues. */
@Component(service = FaultCommands.class, property = { "osgi.command.scope=fault", "osgi.command.function=queue",
        "osgi.command.function=list", "osgi.command.function=wait", "osgi.command.function=respond", "osgi.command.function=eventq",
        "osgi.command.function=events" })
public final class FaultCommands {
    private final Shell sh;

    @Activate
    public FaultCommands(@Reference Shell sh) {
        this.sh = sh;
    }

    @Descriptor("allocate a fault queue; pass fault=<id> to hwpt:alloc; returns its id")
    public int queue(@Descriptor("the context") String ctx) {
        return sh.faults.faultQueueAlloc(sh.ctx(ctx));
    }

    @Descriptor("read the faults that arrived (giving them cookies) and list every fault waiting for a response")
    public List<PageFault> list(@Descriptor("the context") String ctx, @Descriptor("fault queue id") String queue) {
        Context c = sh.ctx(ctx);
        int q = Shell.id("queue", queue);
        sh.faults.faultRead(c, q, Integer.MAX_VALUE);
        return sh.faults.faultPending(c, q);
    }

    /** How long fault:wait waits for a fault to arrive. */
    static final long WAIT_MILLIS = 30_000;

    @Descriptor("wait (up to 30 s) until a fault arrives, then list as fault:list does")
    public List<PageFault> wait(@Descriptor("the context") String ctx, @Descriptor("fault queue id") String queue) throws InterruptedException {
        Context c = sh.ctx(ctx);
        int q = Shell.id("queue", queue);
        List<PageFault> got = sh.faults.faultRead(c, q, Integer.MAX_VALUE, WAIT_MILLIS);
        if (got.isEmpty() && sh.faults.faultPending(c, q).isEmpty()) {
            throw IommuException.of(Errno.ETIMEDOUT, "no fault arrived on fault queue %s", queue);
        }
        return sh.faults.faultPending(c, q);
    }

    @Descriptor("answer a fault group: success (the device retries) or invalid (its request fails)")
    public String respond(@Descriptor("the context") String ctx, @Descriptor("fault queue id") String queue,
            @Descriptor("cookie from fault:list") String cookie, @Descriptor("success or invalid") String code) {
        PageResponse r;
        switch (code.toLowerCase()) {
        case "success": r = PageResponse.SUCCESS; break;
        case "invalid": r = PageResponse.INVALID; break;
        default: throw Shell.einval("the response is success or invalid, not %s", code);
        }
        sh.faults.faultRespond(sh.ctx(ctx), Shell.id("queue", queue), Shell.id("cookie", cookie), r);
        return "answered " + cookie + " " + r;
    }

    @Descriptor("allocate an event queue of a depth for the unrecoverable events of the context's devices; returns its id")
    public int eventq(@Descriptor("the context") String ctx, @Descriptor("records it holds") String depth) {
        return sh.faults.eventQueueAlloc(sh.ctx(ctx), Shell.id("depth", depth));
    }

    @Descriptor("take the records of an event queue")
    public List<UnitEventRecord> events(@Descriptor("the context") String ctx, @Descriptor("event queue id") String queue) {
        return new ArrayList<>(sh.faults.eventRead(sh.ctx(ctx), Shell.id("queue", queue), Integer.MAX_VALUE));
    }
}
