package dev.ioasid.backend.smmuv3.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.ioasid.api.Context;
import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.MapFlags;
import dev.ioasid.machine.Access;

/**
 * Dirty tracking through HTTU: writable leaves carry DBM and start writable-clean while tracking, the SMMU makes
 * a leaf writable-dirty on the first write (CD.HD for stage 1, STE.S2HD for stage 2), and reading the bitmap
 * cleans them again (then a TLBI, so the next write marks it again).
 */
class DirtyTrackingTest {
    static final long P = 4096;
    private final CoreFixture f = new CoreFixture();
    private final Context ctx = f.open("vm");

    @AfterEach
    void close() {
        f.close();
    }

    @ParameterizedTest
    @ValueSource(ints = { 0, HwptFlags.NEST_PARENT })
    void a_dma_write_marks_its_page_dirty_until_the_bitmap_is_read(int stageFlag) {
        int ioas = f.core.ioasAlloc(ctx);
        int dev = f.core.bind(ctx, CoreFixture.NIC);
        int hwpt = f.core.hwptAlloc(ctx, HwptAlloc.paging(dev, ioas, HwptFlags.DIRTY_TRACKING | stageFlag));
        f.core.attach(ctx, dev, hwpt);
        long buf = ctx.memory().mmap(4 * P);
        long iova = f.core.ioasMap(ctx, ioas, buf, 4 * P, 0, MapFlags.READABLE | MapFlags.WRITEABLE);
        f.core.hwptSetDirtyTracking(ctx, hwpt, true);
        assertArrayEquals(new long[] { 0 }, f.core.hwptGetDirtyBitmap(ctx, hwpt, iova, 4 * P, P, 0), "clean when tracking starts");
        assertTrue(f.machine.dma().read(CoreFixture.NIC, Access.NO_PASID, iova + 2 * P, 8).ok());
        assertArrayEquals(new long[] { 0 }, f.core.hwptGetDirtyBitmap(ctx, hwpt, iova, 4 * P, P, 0), "a read dirties nothing");
        assertTrue(f.machine.dma().write(CoreFixture.NIC, Access.NO_PASID, iova + 2 * P, new byte[8]).ok());
        assertArrayEquals(new long[] { 0b0100 }, f.core.hwptGetDirtyBitmap(ctx, hwpt, iova, 4 * P, P, 0));
        assertArrayEquals(new long[] { 0 }, f.core.hwptGetDirtyBitmap(ctx, hwpt, iova, 4 * P, P, 0), "reading cleared it");
        assertTrue(f.machine.dma().write(CoreFixture.NIC, Access.NO_PASID, iova + 2 * P + 16, new byte[8]).ok());
        assertArrayEquals(new long[] { 0b0100 }, f.core.hwptGetDirtyBitmap(ctx, hwpt, iova, 4 * P, P, 0), "the next write marks it again");
        SmmuDomain d = (SmmuDomain) f.core.domainOf(ctx, hwpt);
        assertEquals(stageFlag != 0, d.stage2);
    }
}
