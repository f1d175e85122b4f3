package dev.ioasid.bench.jmh;

import java.util.List;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.PageFault;
import dev.ioasid.api.PageResponse;
import dev.ioasid.api.PciAddress;
import dev.ioasid.bench.backend.BenchBackend;
import dev.ioasid.bench.backend.BenchBackends;
import dev.ioasid.bench.backend.Rig;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.DmaResult;

/**
 * P5: an IO page fault round trip. A PRI device's DMA read hits an unmapped page of a domain allocated with a
 * fault queue; a handler thread reads the group, maps the page, answers SUCCESS; the device retries and the read
 * completes. Each operation faults on a fresh page; the pages mapped in a measurement are unmapped before the
 * next one, outside it. The baseline is a token going to a second thread and back through SynchronousQueues.
 * <p>
 * Run in SingleShotTime with a batch size: the score is the time of one batch of operations.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = { "-Xms2g", "-Xmx2g" })
public class FaultBench {
    /** The most operations one batch may do: the pages the handler can map. */
    public static final int MAX_BATCH = 1 << 17;
    static final long GUARD_NANOS = TimeUnit.SECONDS.toNanos(30);

    @Param("mock")
    public String backend;

    Rig rig;
    PciAddress device;
    int ioas;
    int queue;
    long base;
    long buffer;
    int next;
    Thread handler;
    volatile boolean stop;
    volatile Throwable handlerFailure;
    SynchronousQueue<Integer> ping;
    SynchronousQueue<Integer> pong;
    Thread partner;

    @Setup(Level.Trial)
    public void setup() {
        BenchBackend b = BenchBackends.get(backend);
        rig = Rig.boot(b, 8 * Rig.GIB);
        ioas = rig.ioas(true);
        int dev = rig.bind(0);
        device = rig.address(0);
        queue = rig.core.faultQueueAlloc(rig.ctx);
        int hwpt = rig.core.hwptAlloc(rig.ctx, HwptAlloc.paging(dev, ioas, 0).withFault(queue));
        rig.core.attach(rig.ctx, dev, hwpt);
        base = Rig.place(b.mappable(), MAX_BATCH * Rig.PAGE, Rig.MIB);
        buffer = rig.mmap(MAX_BATCH * Rig.PAGE);
        handler = new Thread(this::handle, "p5-fault-handler");
        handler.setDaemon(true);
        handler.start();

        ping = new SynchronousQueue<>();
        pong = new SynchronousQueue<>();
        partner = new Thread(() -> {
            try {
                while (true) {
                    pong.put(ping.take());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "p5-partner");
        partner.setDaemon(true);
        partner.start();
    }

    /** The fault handler: read a group, map each faulting page, answer. */
    private void handle() {
        try {
            while (!stop) {
                List<PageFault> group = rig.core.faultRead(rig.ctx, queue, 16, 100);
                for (PageFault f : group) {
                    long page = f.address() & -Rig.PAGE;
                    rig.map(ioas, buffer + (page - base), Rig.PAGE, page);
                    if ((f.flags() & PageFault.LAST_PAGE) != 0) {
                        rig.core.faultRespond(rig.ctx, queue, f.cookie(), PageResponse.SUCCESS);
                    }
                }
            }
        } catch (Throwable t) {
            handlerFailure = t;
        }
    }

    @Setup(Level.Iteration)
    public void fresh() {
        rig.unmapAll(ioas);
        next = 0;
    }

    @TearDown(Level.Trial)
    public void teardown() throws InterruptedException {
        stop = true;
        handler.join(TimeUnit.SECONDS.toMillis(5));
        partner.interrupt();
        rig.close();
    }

    @Benchmark
    public DmaResult p5FaultRoundTrip() {
        if (next == MAX_BATCH) {
            throw new IllegalStateException("a batch of more than " + MAX_BATCH + " faults");
        }
        long iova = base + (long) next++ * Rig.PAGE;
        DmaResult r = rig.machine.dma().read(device, Access.NO_PASID, iova + 0x10, 8, 0, GUARD_NANOS);
        if (!r.ok()) {
            throw new IllegalStateException("the faulting DMA failed: " + r + (handlerFailure == null ? "" : "; handler: " + handlerFailure));
        }
        return r;
    }

    @Benchmark
    public Integer p5SynchronousQueueBaseline() throws InterruptedException {
        ping.put(1);
        return pong.take();
    }
}
