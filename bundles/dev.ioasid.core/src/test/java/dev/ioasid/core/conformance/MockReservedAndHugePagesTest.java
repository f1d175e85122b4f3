package dev.ioasid.core.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.ioasid.api.Errno;
import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.ObjectType;
import dev.ioasid.api.IoasOption;
import dev.ioasid.api.IovaRange;
import dev.ioasid.backend.mock.internal.MockUnit;
import dev.ioasid.machine.Access;

/**
 * Device reserved regions (an MSI window the unit reports for every device) and the HUGE_PAGES option, on a
 * mock unit configured for them.
 */
class MockReservedAndHugePagesTest extends ConformanceBase {
    static final long MSI_START = 0x4000_0000L;
    static final long MSI_LAST = 0x400f_ffffL;

    @Override
    protected ConformanceBackend backend() {
        return new MockBackend() {
            @Override
            public String unitLine() {
                return "unit u0 mock reserved=0x40000000-0x400fffff";
            }
        };
    }

    @Test
    void a_rid_attach_reserves_the_devices_msi_window_and_detach_releases_it() {
        int ioas = ioas();
        int dev = bind(D0);
        core.attach(ctx, dev, ioas);
        var ranges = core.ioasIovaRanges(ctx, ioas).ranges();
        assertEquals(List.of(new IovaRange(MockUnit.APERTURE_START, MSI_START - 1), new IovaRange(MSI_LAST + 1, MockUnit.APERTURE_LAST)), ranges);
        long buf = buffer(P);
        expectErrno(Errno.EINVAL, () -> mapFixed(ioas, buf, P, MSI_START));
        for (int i = 0; i < 4; i++) {
            long iova = mapAuto(ioas, buf, P);
            assertTrue(iova < MSI_START || iova > MSI_LAST, "automatic IOVAs avoid the window");
        }
        core.detach(ctx, dev);
        assertEquals(List.of(IovaRange.ALL), core.ioasIovaRanges(ctx, ioas).ranges(), "the window and the aperture went with the auto HWPT");
        mapFixed(ioas, buf, P, MSI_START);
        expectErrno(Errno.EADDRINUSE, () -> core.attach(ctx, dev, ioas));
        assertEquals(0, core.device(ctx, dev).ridHwpt(), "the failed attach left the device blocked");
        assertEquals(0, ctx.objects().stream().filter(o -> o.type() == ObjectType.HWPT_PAGING).count(), "and no automatic HWPT");
    }

    @Test
    void pasid_attaches_do_not_reserve_the_window() {
        int ioas = ioas();
        int dev = bind(DP);
        int s2 = core.hwptAlloc(ctx, HwptAlloc.paging(dev, ioas, HwptFlags.PASID));
        core.attach(ctx, dev, s2, 3);
        long buf = buffer(P);
        mapFixed(ioas, buf, P, MSI_START);
        assertTrue(machine.dma().read(DP, 3, MSI_START, 8).ok(), "a PASID may use the window's IOVAs");
    }

    @Test
    void huge_pages_use_large_leaves_and_turning_them_off_forces_the_granule() {
        int ioas = ioas();
        int dev = bind(D0);
        core.attach(ctx, dev, ioas);
        MockUnit unit = (MockUnit) units.get(0);
        long buf = buffer(8L << 20);
        long base = unit.tableFrames();
        long iova = mapAuto(ioas, buf, 8L << 20);
        long withHuge = unit.tableFrames() - base;
        unmap(ioas, iova, 8L << 20);
        expectErrno(Errno.EINVAL, () -> {
            mapAuto(ioas, buf, P);
            core.optionSet(ctx, IoasOption.HUGE_PAGES, ioas, 0);
        });
        unmap(ioas, 0, U64_MAX);
        core.detach(ctx, dev);
        core.optionSet(ctx, IoasOption.HUGE_PAGES, ioas, 0);
        core.attach(ctx, dev, ioas);
        base = unit.tableFrames();
        iova = mapAuto(ioas, buf, 8L << 20);
        long without = unit.tableFrames() - base;
        assertTrue(withHuge < without, "1 MiB leaves need fewer tables (" + withHuge + ") than 2 KiB pages (" + without + ")");
        assertEquals(8, without - 1, "8 MiB of 2 KiB pages fill eight level-0 tables under one level-1 table");
        assertTrue(machine.dma().read(D0, Access.NO_PASID, iova + (5L << 20) + 123, 16).ok());
    }
}
