package dev.ioasid.shell.internal;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.ioasid.machine.DmaResult;
import dev.ioasid.machine.PciDevice;

/**
 * Immediate, so that background jobs survive between commands (a delayed component would be disposed when the
 * shell ungets it). dma:read and dma:write: a device issues a DMA, tagged with a PASID or not. The answer is {@code ok <hex>} or
 * {@code fault <reason>} with the record the unit logged: a fault is a result, not a shell error.
 */
@Component(immediate = true, service = DmaCommands.class, property = { "osgi.command.scope=dma", "osgi.command.function=read",
        "osgi.command.function=write", "osgi.command.function=start", "osgi.command.function=wait" })
public final class DmaCommands {
    /** How long a DMA started in the background waits for a page response. */
    static final long BACKGROUND_FAULT_WAIT_NANOS = 60_000_000_000L;
    private final java.util.Map<Integer, java.util.concurrent.CompletableFuture<DmaResult>> jobs = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicInteger nextJob = new java.util.concurrent.atomic.AtomicInteger(1);
    /** How long a faulting DMA of the shell waits for its page response. */
    static final long FAULT_WAIT_NANOS = 2_000_000_000L;

    private final Shell sh;

    @Activate
    public DmaCommands(@Reference Shell sh) {
        this.sh = sh;
    }

    @Descriptor("a device reads memory through its IOMMU: ok <hex> or fault <reason>")
    public String read(@Descriptor("PCI address or device name") String bdf, @Descriptor("PASID, or - for none") String pasid,
            @Descriptor("IOVA") String iova, @Descriptor("bytes") String length) {
        PciDevice d = sh.machine.device(bdf);
        long n = Shell.number("length", length);
        if (n <= 0 || n > 1 << 20) {
            throw Shell.einval("read between 1 byte and 1M, not %s", length);
        }
        return describe(sh.machine.dma().read(d.address(), Shell.pasid(pasid), Shell.number("iova", iova), (int) n, 0, FAULT_WAIT_NANOS));
    }

    @Descriptor("a device writes memory through its IOMMU: ok or fault <reason>")
    public String write(@Descriptor("PCI address or device name") String bdf, @Descriptor("PASID, or - for none") String pasid,
            @Descriptor("IOVA") String iova, @Descriptor("0x-hex bytes or text") String data) {
        PciDevice d = sh.machine.device(bdf);
        DmaResult r = sh.machine.dma().write(d.address(), Shell.pasid(pasid), Shell.number("iova", iova), Shell.data(data), 0, FAULT_WAIT_NANOS);
        return describe(r);
    }

    @Descriptor("start a DMA read in the background (it may wait for a page response); returns a job id for dma:wait")
    public int start(@Descriptor("PCI address or device name") String bdf, @Descriptor("PASID, or - for none") String pasid,
            @Descriptor("IOVA") String iova, @Descriptor("bytes") String length) {
        PciDevice d = sh.machine.device(bdf);
        int p = Shell.pasid(pasid);
        long at = Shell.number("iova", iova);
        long n = Shell.number("length", length);
        if (n <= 0 || n > 1 << 20) {
            throw Shell.einval("read between 1 byte and 1M, not %s", length);
        }
        int job = nextJob.getAndIncrement();
        java.util.concurrent.CompletableFuture<DmaResult> f = new java.util.concurrent.CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(sh.machine.dma().read(d.address(), p, at, (int) n, 0, BACKGROUND_FAULT_WAIT_NANOS));
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        }, "dma-job-" + job);
        t.setDaemon(true);
        jobs.put(job, f);
        t.start();
        return job;
    }

    @Descriptor("wait for a background DMA and return its result: ok <hex> or fault <reason>")
    public String wait(@Descriptor("job id from dma:start") String job) throws InterruptedException {
        var f = jobs.remove(Shell.id("job", job));
        if (f == null) {
            throw dev.ioasid.api.IommuException.of(dev.ioasid.api.Errno.ENOENT, "no DMA job %s", job);
        }
        try {
            return describe(f.get(BACKGROUND_FAULT_WAIT_NANOS + 5_000_000_000L, java.util.concurrent.TimeUnit.NANOSECONDS));
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException ? (RuntimeException) e.getCause() : new IllegalStateException(e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw dev.ioasid.api.IommuException.of(dev.ioasid.api.Errno.ETIMEDOUT, "DMA job %s did not finish", job);
        }
    }

    static String describe(DmaResult r) {
        if (r.ok()) {
            return r.data() == null || r.data().length == 0 ? "ok" : "ok " + Shell.hex(r.data());
        }
        var f = r.fault();
        return String.format("fault %s after %d bytes (unit %s, code 0x%x, iova 0x%x): %s%s", f.reason(), r.done(), f.unit(), f.code(), f.iova(),
                f.detail(), f.record().length == 0 ? "" : "; record " + Shell.hex(f.record()));
    }
}
