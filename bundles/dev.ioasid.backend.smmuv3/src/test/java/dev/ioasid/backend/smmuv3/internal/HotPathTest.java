package dev.ioasid.backend.smmuv3.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.ioasid.api.HwptFlags;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.machine.TranslatedPage;
import dev.ioasid.machine.Translation;

/**
 * The translation hot path: a TLB hit returns the cached page without allocating, and translations running
 * while the driver maps, unmaps and invalidates other ranges of the same domain never return a wrong page.
 */
class HotPathTest {
    private final UnitFixture f = new UnitFixture();
    private final PciDevice gpu = f.device("gpu0");

    @AfterEach
    void close() {
        f.close();
    }

    @Test
    void a_tlb_hit_allocates_nothing() {
        SmmuDomain d = f.paging(gpu, HwptFlags.PASID);
        long pa = f.memory(4096);
        d.map(0x10000, pa, 4096, UnitFixture.RW, false);
        f.unit.attach(gpu, Access.NO_PASID, d);
        f.unit.attach(gpu, 3, d);
        Translation first = f.unit.translate(gpu, 3, 0x10000, Access.READ);
        assertInstanceOf(TranslatedPage.class, first);
        assertSame(first, f.unit.translate(gpu, 3, 0x10008, Access.READ), "the TLB entry's own page");

        var mx = ManagementFactory.getThreadMXBean();
        assumeTrue(mx instanceof com.sun.management.ThreadMXBean, "per-thread allocation counters");
        var threads = (com.sun.management.ThreadMXBean) mx;
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());
        long id = Thread.currentThread().getId();
        for (int i = 0; i < 20_000; i++) {
            f.unit.translate(gpu, 3, 0x10000 + (i & 0xff8), Access.READ);
        }
        long calibrate = threads.getThreadAllocatedBytes(id);
        long overhead = threads.getThreadAllocatedBytes(id) - calibrate;
        long before = threads.getThreadAllocatedBytes(id);
        for (int i = 0; i < 100_000; i++) {
            f.unit.translate(gpu, 3, 0x10000 + (i & 0xff8), Access.READ);
        }
        long allocated = threads.getThreadAllocatedBytes(id) - before - overhead;
        // an object is at least 16 bytes: less than a byte per hit means no hit allocates (the JVM's own one-off
        // bookkeeping, a few KiB at most, may land on this thread)
        assertTrue(allocated < 100_000, "bytes allocated by 100000 TLB hits: " + allocated);
    }

    @Test
    void translations_racing_with_map_unmap_and_tlbi_are_never_wrong() throws Exception {
        SmmuDomain d = f.paging(gpu, 0);
        f.unit.attach(gpu, Access.NO_PASID, d);
        int pages = 64;
        long stable = f.memory(pages * 4096L);
        long moving = f.memory(pages * 4096L);
        d.map(0, stable, pages * 4096L, UnitFixture.RW, false);
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<Long>> readers = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                readers.add(pool.submit(() -> {
                    long n = 0;
                    while (!stop.get()) {
                        for (int p = 0; p < pages; p++) {
                            // the stable range: always its own page
                            Translation t = f.unit.translate(gpu, Access.NO_PASID, p * 4096L, Access.READ);
                            TranslatedPage tp = assertInstanceOf(TranslatedPage.class, t);
                            assertEquals(stable + p * 4096L, tp.physical(p * 4096L));
                            // the moving range: its page, or a fault, never another page
                            long iova = 0x100_0000L + p * 4096L;
                            t = f.unit.translate(gpu, Access.NO_PASID, iova, Access.READ);
                            if (t instanceof TranslatedPage) {
                                assertEquals(moving + p * 4096L, ((TranslatedPage) t).physical(iova));
                            }
                            n++;
                        }
                    }
                    return n;
                }));
            }
            Future<?> writer = pool.submit(() -> {
                for (int round = 0; round < 200; round++) {
                    d.map(0x100_0000L, moving, pages * 4096L, UnitFixture.RW, round % 2 == 0);
                    assertEquals(pages * 4096L, d.unmap(0x100_0000L, pages * 4096L));
                    d.flush(0x100_0000L, pages * 4096L);
                }
                return null;
            });
            writer.get(60, TimeUnit.SECONDS);
            stop.set(true);
            for (Future<Long> r : readers) {
                assertTrue(r.get(60, TimeUnit.SECONDS) > 0);
            }
        } finally {
            stop.set(true);
            pool.shutdownNow();
        }
        // after the last unmap and TLBI the moving range faults
        assertEquals("F_TRANSLATION", ((dev.ioasid.machine.TranslationFault) f.unit.translate(gpu, Access.NO_PASID, 0x100_0000L, Access.READ)).reason());
    }
}
