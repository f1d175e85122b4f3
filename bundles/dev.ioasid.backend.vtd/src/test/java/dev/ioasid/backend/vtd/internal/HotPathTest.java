package dev.ioasid.backend.vtd.internal;

import static dev.ioasid.backend.vtd.internal.Rig.NO_PASID;
import static dev.ioasid.backend.vtd.internal.Rig.R;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;

import org.junit.jupiter.api.Test;

import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.MapFlags;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.machine.TranslatedPage;
import dev.ioasid.spi.PagingDomain;

/** An IOTLB hit allocates nothing and returns the cached page; the caches are bounded by their settings. */
class HotPathTest {

    @Test
    void an_iotlb_hit_allocates_nothing() {
        Rig rig = Rig.server();
        PagingDomain d = rig.unit.allocPaging(rig.dev("dsa0"), HwptFlags.PASID, 0, new byte[0]);
        d.map(0x10000, rig.frames.allocate(), 4096, MapFlags.READABLE, false);
        rig.unit.attach(rig.dev("dsa0"), NO_PASID, d);
        PciDevice dev = rig.dev("dsa0");
        TranslatedPage first = (TranslatedPage) rig.unit.translate(dev, NO_PASID, 0x10000, R);
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        for (int i = 0; i < 20_000; i++) {
            rig.unit.translate(dev, NO_PASID, 0x10000 + (i & 0xfff), R);
        }
        long before = threads.getThreadAllocatedBytes(tid);
        int n = 100_000;
        Object last = null;
        for (int i = 0; i < n; i++) {
            last = rig.unit.translate(dev, NO_PASID, 0x10000 + (i & 0xfff), R);
        }
        long allocated = threads.getThreadAllocatedBytes(tid) - before;
        assertSame(first, last);
        assertTrue(allocated < n / 10, "bytes allocated by " + n + " hits: " + allocated);
    }

    @Test
    void the_iotlb_and_config_caches_are_bounded_by_their_settings() {
        Rig rig = new Rig("profile=server iotlb=8 context-cache=2 pasid-cache=4");
        PagingDomain d = rig.unit.allocPaging(rig.dev("dsa0"), HwptFlags.PASID, 0, new byte[0]);
        d.map(0, rig.frames.allocate(64, 1), 64 * 4096, MapFlags.READABLE, false);
        rig.unit.attach(rig.dev("dsa0"), NO_PASID, d);
        for (int pasid = 1; pasid <= 10; pasid++) {
            rig.unit.attach(rig.dev("dsa0"), pasid, d);
        }
        for (int pasid = 0; pasid <= 10; pasid++) {
            for (int page = 0; page < 64; page++) {
                rig.page("dsa0", pasid == 0 ? NO_PASID : pasid, page * 4096L, R);
            }
        }
        assertEquals(8, rig.unit.iotlb.size());
        assertTrue(rig.unit.iotlb.occupancy() <= 8);
        assertTrue(rig.unit.pasidCache.occupancy() <= 4);
        assertTrue(rig.unit.contextCache.occupancy() <= 2);
        assertEquals(8L, rig.unit.stats().caches().get("iotlb.entries"));
    }
}
