package dev.ioasid.core.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.ioasid.api.DomainService;
import dev.ioasid.api.Errno;
import dev.ioasid.api.HwInfo;
import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.IoasOption;
import dev.ioasid.machine.Access;
import dev.ioasid.spi.PagingDomain;

/**
 * FIXTURE(iommufd_dirty_tracking) of the selftest, with DMA writes instead of the test op that sets dirty bits:
 * enforce_dirty, set_dirty_tracking, device_dirty_capability, get_dirty_bitmap and get_dirty_bitmap_no_clear
 * over the selftest's buffer sizes, including huge-page mappings, where one write dirties the whole PTE.
 */
public abstract class DirtyTrackingConformance extends ConformanceBase {

    public enum Variant {
        domain_8k(8 << 10, false), domain_16k(16 << 10, false), domain_64k(64 << 10, false), domain_128k(128 << 10, false),
        domain_320k(320 << 10, false), domain_64M(64 << 20, false), domain_64M_huge(64 << 20, true), domain_128M(128 << 20, false),
        domain_128M_huge(128 << 20, true);

        final long size;
        final boolean huge;

        Variant(long size, boolean huge) {
            this.size = size;
            this.huge = huge;
        }
    }

    @Test
    void enforce_dirty() {
        int ioas = ioas();
        int dev = bind(D0);
        int nd = bind(DND);
        int h = core.hwptAlloc(ctx, HwptAlloc.paging(dev, ioas, HwptFlags.DIRTY_TRACKING));
        core.attach(ctx, dev, h);
        if (backend().isSelftestMock()) {
            expectErrno(Errno.EINVAL, () -> core.attach(ctx, nd, h));
        }
    }

    @Test
    void set_dirty_tracking() {
        int ioas = ioas();
        int dev = bind(D0);
        int h = core.hwptAlloc(ctx, HwptAlloc.paging(dev, ioas, HwptFlags.DIRTY_TRACKING));
        core.hwptSetDirtyTracking(ctx, h, true);
        core.hwptSetDirtyTracking(ctx, h, false);
        int plain = core.hwptAlloc(ctx, HwptAlloc.paging(dev, ioas, 0));
        expectErrno(Errno.EINVAL, () -> core.hwptSetDirtyTracking(ctx, plain, true));
        expectErrno(Errno.ENOENT, () -> core.hwptSetDirtyTracking(ctx, ioas, true));
    }

    @Test
    void device_dirty_capability() {
        int ioas = ioas();
        int dev = bind(D0);
        assertEquals(HwInfo.CAP_DIRTY_TRACKING, core.hwInfo(ctx, dev).capabilities() & HwInfo.CAP_DIRTY_TRACKING);
        if (backend().isSelftestMock()) {
            int nd = bind(DND);
            assertEquals(0, core.hwInfo(ctx, nd).capabilities() & HwInfo.CAP_DIRTY_TRACKING);
            expectErrno(Errno.EOPNOTSUPP, () -> core.hwptAlloc(ctx, HwptAlloc.paging(nd, ioas, HwptFlags.DIRTY_TRACKING)));
        }
    }

    private long[] bitmap(int h, long iova, long len, long pageSize, int flags) {
        return core.hwptGetDirtyBitmap(ctx, h, iova, len, pageSize, flags);
    }

    private static boolean bit(long[] b, long i) {
        return (b[(int) (i >>> 6)] >>> (i & 63) & 1) != 0;
    }

    /**
     * Maps the buffer (with huge pages or without), dirties every other CPU page by DMA, and checks the bitmap:
     * a page's bit is set when the PTE covering it was written.
     */
    private void dirtyCase(Variant v, boolean noClear) {
        int ioas = ioas();
        if (!v.huge) {
            core.optionSet(ctx, IoasOption.HUGE_PAGES, ioas, 0);
        }
        int d0 = bind(D0);
        int h = core.hwptAlloc(ctx, HwptAlloc.paging(d0, ioas, HwptFlags.DIRTY_TRACKING));
        core.attach(ctx, d0, h);
        long buf = buffer(v.size);
        long iova = core.ioasMap(ctx, ioas, buf, v.size, 0, RW);
        long leaf = v.huge ? largestLeaf(h, iova, v.size) : Math.max(P, backend().granule());
        assertTrue(!v.huge || leaf > P, "the huge variants use large PTEs");
        core.hwptSetDirtyTracking(ctx, h, true);
        long pages = v.size / P;
        for (long w : bitmap(h, iova, v.size, P, 0)) {
            assertEquals(0, w, "nothing is dirty before a write");
        }
        for (long p = 0; p < pages; p += 2) {
            assertTrue(machine.dma().write(D0, Access.NO_PASID, iova + p * P + 17, new byte[] { 1 }).ok());
        }
        long[] b = bitmap(h, iova, v.size, P, noClear ? DomainService.DIRTY_NO_CLEAR : 0);
        for (long p = 0; p < pages; p++) {
            long pteFirst = (p * P) / leaf * leaf / P;
            boolean expected = false;
            for (long q = pteFirst; q < pteFirst + Math.max(1, leaf / P) && q < pages; q++) {
                expected |= q % 2 == 0;
            }
            assertEquals(expected, bit(b, p), "page " + p + " with PTEs of 0x" + Long.toHexString(leaf));
        }
        long[] again = bitmap(h, iova, v.size, P, 0);
        for (int i = 0; i < b.length; i++) {
            assertEquals(noClear ? b[i] : 0, again[i], "the second read " + (noClear ? "sees the same bits" : "is clean"));
        }
        if (pages >= 8) {
            assertTrue(machine.dma().write(D0, Access.NO_PASID, iova + 3 * P, new byte[] { 2 }).ok());
            long[] window = bitmap(h, iova + 2 * P, 4 * P, 2 * P, 0);
            assertEquals(v.huge ? 0b11 : 0b01, window[0], "a window of the range at a 2-page granularity");
        }
        expectErrno(Errno.EINVAL, () -> core.hwptGetDirtyBitmap(ctx, h, 1, P, P, 0));
        expectErrno(Errno.EINVAL, () -> core.hwptGetDirtyBitmap(ctx, h, 0, P, 3 * P, 0));
        expectErrno(Errno.EOPNOTSUPP, () -> core.hwptGetDirtyBitmap(ctx, h, 0, P, P, 4));
    }

    /** The largest leaf the domain can use for a mapping of this alignment and size. */
    private long largestLeaf(int h, long iova, long size) {
        PagingDomain d = (PagingDomain) core.domainOf(ctx, h);
        long sizes = d.pageSizes();
        long best = Long.lowestOneBit(sizes);
        for (long s = best; s != 0 && s <= size; s <<= 1) {
            if ((sizes & s) != 0 && iova % s == 0 && size % s == 0) {
                best = s;
            }
        }
        return best;
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void get_dirty_bitmap(Variant v) {
        dirtyCase(v, false);
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void get_dirty_bitmap_no_clear(Variant v) {
        dirtyCase(v, true);
    }
}
