package dev.ioasid.backend.vtd.internal;

import static dev.ioasid.backend.vtd.internal.Rig.NO_PASID;
import static dev.ioasid.backend.vtd.internal.Rig.R;
import static dev.ioasid.backend.vtd.internal.Rig.W;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.ioasid.api.Errno;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.MapFlags;
import dev.ioasid.spi.PagingDomain;

/** Second-stage A/D bits with SSADE feed the domain's dirty tracking. */
class DirtyTrackingTest {
    static final int RW = MapFlags.READABLE | MapFlags.WRITEABLE;

    private static List<Long> dirty(PagingDomain d, boolean keep) {
        List<Long> out = new ArrayList<>();
        d.readDirty(0, 1L << 30, keep, (iova, size) -> out.add(iova));
        return out;
    }

    @Test
    void writes_set_d_while_tracking_and_reading_clears_it() {
        Rig rig = Rig.server();
        PagingDomain d = rig.unit.allocPaging(rig.dev("dsa0"), HwptFlags.DIRTY_TRACKING | HwptFlags.PASID, 0, new byte[0]);
        assertTrue(d.supportsDirtyTracking());
        long pa = rig.frames.allocate(4, 4);
        d.map(0x40000, pa, 4 * 4096, RW, false);
        rig.unit.attach(rig.dev("dsa0"), NO_PASID, d);
        rig.unit.attach(rig.dev("dsa0"), 3, d);
        VtdDomain v = (VtdDomain) d;
        long leaf = v.table.leaf(0x40000)[2];

        // tracking off: SSADE clear, no A/D bits are set
        assertFalse(rig.unit.tables.pasidEntry(rig.dev("dsa0").rid(), 0).ssade());
        rig.page("dsa0", NO_PASID, 0x40000, W);
        assertEquals(0, rig.mem.load64(leaf) & (SsPte.A | SsPte.D));
        assertEquals(List.of(), dirty(d, false));

        d.setDirtyTracking(true);
        assertTrue(rig.unit.tables.pasidEntry(rig.dev("dsa0").rid(), 0).ssade(), "SSADE in the RID_PASID entry");
        assertTrue(rig.unit.tables.pasidEntry(rig.dev("dsa0").rid(), 3).ssade(), "and in the PASID 3 entry");
        // the cached entry from before tracking was flushed: a write walks and sets A and D
        rig.page("dsa0", NO_PASID, 0x40000, W);
        assertEquals(SsPte.A | SsPte.D, rig.mem.load64(leaf) & (SsPte.A | SsPte.D));
        rig.page("dsa0", 3, 0x42000, R);
        long leaf2 = v.table.leaf(0x42000)[2];
        assertEquals(SsPte.A, rig.mem.load64(leaf2) & (SsPte.A | SsPte.D), "a read sets A only");
        rig.page("dsa0", 3, 0x42000, W);
        assertEquals(SsPte.A | SsPte.D, rig.mem.load64(leaf2) & (SsPte.A | SsPte.D), "a write through a read's IOTLB entry walks to set D");

        assertEquals(List.of(0x40000L, 0x42000L), dirty(d, true), "NO_CLEAR keeps the bits");
        assertEquals(List.of(0x40000L, 0x42000L), dirty(d, false));
        assertEquals(List.of(), dirty(d, false), "reading cleared them");
        // the IOTLB held the pages as dirty: the read flushed them, so the next write sets D again
        rig.page("dsa0", NO_PASID, 0x40000, W);
        assertEquals(List.of(0x40000L), dirty(d, false));

        d.setDirtyTracking(false);
        assertFalse(rig.unit.tables.pasidEntry(rig.dev("dsa0").rid(), 3).ssade());
        rig.page("dsa0", NO_PASID, 0x41000, W);
        assertEquals(List.of(), dirty(d, false));
    }

    @Test
    void dirty_tracking_needs_the_flag_and_a_scalable_unit() {
        Rig rig = Rig.server();
        PagingDomain plain = rig.unit.allocPaging(rig.dev("dsa0"), 0, 0, new byte[0]);
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> plain.setDirtyTracking(true)).errno());
        Rig legacy = Rig.legacy();
        assertFalse(legacy.unit.supportsDirtyTracking(legacy.dev("dsa0")));
        assertEquals(Errno.EOPNOTSUPP, assertThrows(IommuException.class,
                () -> legacy.unit.allocPaging(legacy.dev("dsa0"), HwptFlags.DIRTY_TRACKING, 0, new byte[0])).errno());
    }
}
