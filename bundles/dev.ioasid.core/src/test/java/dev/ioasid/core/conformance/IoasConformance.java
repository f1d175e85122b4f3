package dev.ioasid.core.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.ioasid.api.Errno;
import dev.ioasid.api.HwInfo;
import dev.ioasid.api.HwInfoType;
import dev.ioasid.api.IoasOption;
import dev.ioasid.api.IovaRange;
import dev.ioasid.api.IovaRanges;
import dev.ioasid.api.MapFlags;

/**
 * The {@code iommufd} and {@code iommufd_ioas} fixtures of tools/testing/selftests/iommu/iommufd.c, case by
 * case, named after them. The variants are the selftest's: no domain, one mock domain (plus a PASID-capable
 * device), two mock domains.
 */
public abstract class IoasConformance extends ConformanceBase {

    /** The variants of FIXTURE(iommufd_ioas). */
    public enum Variant {
        no_domain(0, false), mock_domain(1, true), two_mock_domain(2, false);

        final int domains;
        final boolean pasidCapable;

        Variant(int domains, boolean pasidCapable) {
            this.domains = domains;
            this.pasidCapable = pasidCapable;
        }
    }

    /** FIXTURE_SETUP(iommufd_ioas): an IOAS, the variant's mock domains, and a PASID-capable device. */
    protected final class Fixture {
        final int ioasId;
        int deviceId;
        int hwptId;
        int devicePasidId;
        final long base;
        final long buffer;

        Fixture(Variant v) {
            ioasId = ioas();
            var devices = List.of(D0, D1);
            for (int i = 0; i < v.domains; i++) {
                int[] md = mockDomain(devices.get(i), ioasId);
                deviceId = md[0];
                hwptId = md[1];
            }
            if (v.pasidCapable) {
                devicePasidId = mockDomain(DP, ioasId)[0];
            }
            base = v.domains > 0 ? backend().aperture().start() : 0;
            buffer = buffer(BUFFER_SIZE);
        }

        boolean hasDomain() {
            return deviceId != 0;
        }
    }

    // ---------------------------------------------------------------- FIXTURE(iommufd)

    @Test
    void simple_close() {
        // the shared teardown checks that nothing is pinned and every frame is back
        ctx.close();
        assertFalse(ctx.isOpen());
    }

    @Test
    void cmd_fail() {
        expectErrno(Errno.ENOENT, () -> ctx.destroy(0));
        expectErrno(Errno.ENOENT, () -> ctx.destroy(12345));
    }

    @Test
    void global_options() {
        assertEquals(0, core.optionGet(ctx, IoasOption.RLIMIT_MODE, 0));
        core.optionSet(ctx, IoasOption.RLIMIT_MODE, 0, 1);
        expectErrno(Errno.EINVAL, () -> core.optionSet(ctx, IoasOption.RLIMIT_MODE, 0, 2));
        assertEquals(1, core.optionGet(ctx, IoasOption.RLIMIT_MODE, 0));
        core.optionSet(ctx, IoasOption.RLIMIT_MODE, 0, 0);
        expectErrno(Errno.ENOENT, () -> core.optionGet(ctx, IoasOption.HUGE_PAGES, 0));
        expectErrno(Errno.ENOENT, () -> core.optionSet(ctx, IoasOption.HUGE_PAGES, 0, 0));
        // RLIMIT_MODE is global: object 0 only, and only while the context holds nothing
        expectErrno(Errno.EOPNOTSUPP, () -> core.optionGet(ctx, IoasOption.RLIMIT_MODE, 1));
        ioas();
        expectErrno(Errno.EBUSY, () -> core.optionSet(ctx, IoasOption.RLIMIT_MODE, 0, 1));
        assertEquals(0, core.optionGet(ctx, IoasOption.RLIMIT_MODE, 0));
    }

    // ---------------------------------------------------------------- FIXTURE(iommufd_ioas)

    @ParameterizedTest
    @EnumSource(Variant.class)
    void ioas_auto_destroy(Variant v) {
        Fixture f = new Fixture(v);
        assertTrue(f.ioasId > 0);
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void ioas_destroy(Variant v) {
        Fixture f = new Fixture(v);
        if (f.hasDomain()) {
            expectErrno(Errno.EBUSY, () -> ctx.destroy(f.ioasId));
            assertEquals(f.ioasId, ctx.objects().get(0).id(), "the IOAS survived the failed destroy");
        } else {
            ctx.destroy(f.ioasId);
            expectErrno(Errno.ENOENT, () -> ctx.destroy(f.ioasId));
        }
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void hwpt_attach(Variant v) {
        Fixture f = new Fixture(v);
        if (f.hasDomain()) {
            int[] md = mockDomain(D2, f.hwptId);
            assertEquals(f.hwptId, md[1]);
            core.unbind(ctx, md[0]);
        } else {
            int dev = bind(D2);
            expectErrno(Errno.ENOENT, () -> core.attach(ctx, dev, 0));
            assertEquals(0, core.device(ctx, dev).ridHwpt(), "still blocked");
        }
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void ioas_area_destroy(Variant v) {
        Fixture f = new Fixture(v);
        mapFixed(f.ioasId, f.buffer, P, f.base);
        if (f.hasDomain()) {
            expectErrno(Errno.EBUSY, () -> ctx.destroy(f.ioasId));
        } else {
            ctx.destroy(f.ioasId);
            assertEquals(0, ctx.memory().pinCount(f.buffer), "destroying the IOAS unpinned its pages");
        }
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void ioas_area_auto_destroy(Variant v) {
        Fixture f = new Fixture(v);
        for (int i = 0; i != 10; i++) {
            mapFixed(f.ioasId, f.buffer, P, f.base + i * P);
        }
        assertEquals(10, core.ioasAreas(ctx, f.ioasId).size());
        assertEquals(10, ctx.memory().pinCount(f.buffer));
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void get_hw_info(Variant v) {
        Fixture f = new Fixture(v);
        if (f.hasDomain()) {
            HwInfo info = core.hwInfo(ctx, f.deviceId);
            assertEquals(0, info.maxPasidLog2(), "a device without PASID");
            if (backend().isSelftestMock()) {
                assertEquals(HwInfoType.SELFTEST, info.type());
                assertEquals(8, info.data().length);
                assertEquals(0xdeadbeef, java.nio.ByteBuffer.wrap(info.data()).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(4));
                expectErrno(Errno.EOPNOTSUPP, () -> core.hwInfo(ctx, f.deviceId, HwInfoType.SELFTEST + 1));
                assertEquals(HwInfoType.SELFTEST, core.hwInfo(ctx, f.deviceId, HwInfoType.SELFTEST).type());
                // a larger user buffer: the bytes past the structure are zeroed
                byte[] big = new byte[16];
                java.util.Arrays.fill(big, (byte) 0x5a);
                assertEquals(8, info.copyTo(big, 16));
                for (int i = 8; i < 16; i++) {
                    assertEquals(0, big[i]);
                }
                // a smaller one gets a prefix: only flags
                byte[] small = new byte[] { 9, 9, 9, 9, 9, 9 };
                assertEquals(4, info.copyTo(small, 4));
                assertEquals(0, small[0]);
                assertEquals(9, small[4]);
            }
            assertEquals(HwInfo.CAP_DIRTY_TRACKING, info.capabilities() & HwInfo.CAP_DIRTY_TRACKING);
            if (f.devicePasidId != 0) {
                assertEquals(Math.min(20, backend().pasidWidth()), core.hwInfo(ctx, f.devicePasidId).maxPasidLog2());
            }
        } else {
            expectErrno(Errno.ENOENT, () -> core.hwInfo(ctx, 0));
            expectErrno(Errno.ENOENT, () -> core.hwInfo(ctx, f.ioasId));
        }
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void area(Variant v) {
        Fixture f = new Fixture(v);
        for (int i = 0; i != 10; i++) {
            long iova = i * P;
            expectErrno(Errno.ENOENT, () -> unmap(f.ioasId, iova, P));
        }
        for (int i = 0; i != 10; i++) {
            mapFixed(f.ioasId, f.buffer, P, f.base + i * P);
        }
        for (int i = 0; i != 10; i++) {
            assertEquals(P, unmap(f.ioasId, f.base + i * P, P));
        }
        mapFixed(f.ioasId, f.buffer, 2 * P, f.base + 16 * P);
        expectErrno(Errno.ENOENT, () -> unmap(f.ioasId, f.base + 16 * P, P));
        expectErrno(Errno.ENOENT, () -> unmap(f.ioasId, f.base + 17 * P, P));
        long[][] overlaps = { { 2, 16 }, { 1, 16 }, { 1, 17 }, { 2, 15 }, { 3, 15 } };
        for (long[] o : overlaps) {
            expectErrno(Errno.EEXIST, () -> mapFixed(f.ioasId, f.buffer, o[0] * P, f.base + o[1] * P));
        }
        assertEquals(1, core.ioasAreas(ctx, f.ioasId).size(), "the failed calls changed nothing");
        assertEquals(2 * P, unmap(f.ioasId, 0, U64_MAX));
        assertEquals(0, unmap(f.ioasId, 0, U64_MAX));
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void unmap_fully_contained_areas(Variant v) {
        Fixture f = new Fixture(v);
        long base = f.base + 4 * P;
        for (int i = 0; i != 4; i++) {
            mapFixed(f.ioasId, f.buffer, 8 * P, base + i * 16 * P);
        }
        expectErrno(Errno.ENOENT, () -> unmap(f.ioasId, base - 4 * P, 8 * P));
        expectErrno(Errno.ENOENT, () -> unmap(f.ioasId, base + 3 * 16 * P + 8 * P - 4 * P, 8 * P));
        assertEquals(4, core.ioasAreas(ctx, f.ioasId).size(), "the failed unmaps removed nothing");
        assertEquals(32 * P, unmap(f.ioasId, base - 4 * P, 3 * 16 * P + 8 * P + 4 * P));
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void area_auto_iova(Variant v) {
        Fixture f = new Fixture(v);
        long[] iovas = new long[10];
        for (int i = 0; i != 10; i++) {
            iovas[i] = mapAuto(f.ioasId, f.buffer, P);
        }
        for (long iova : iovas) {
            unmap(f.ioasId, iova, P);
        }
        for (int i = 0; i != 10; i++) {
            long len = (i + 1) * P;
            iovas[i] = mapAuto(f.ioasId, f.buffer, len);
            assertEquals(0, iovas[i] % Long.lowestOneBit(len), "aligned to the lowest set bit of the length");
        }
        for (int i = 0; i != 10; i++) {
            unmap(f.ioasId, iovas[i], (i + 1) * P);
        }
        // a reserved range is avoided
        long rStart = 4 * P;
        long rLen = 100 * P;
        core.testAddReserved(ctx, f.ioasId, rStart, rLen);
        for (int i = 0; i != 10; i++) {
            long len = (i + 1) * P;
            iovas[i] = mapAuto(f.ioasId, f.buffer, len);
            assertEquals(0, iovas[i] % Long.lowestOneBit(len));
            assertFalse(iovas[i] > rStart && iovas[i] < rStart + rLen, "outside the reserved range");
        }
        for (int i = 0; i != 10; i++) {
            unmap(f.ioasId, iovas[i], (i + 1) * P);
        }
        // allowed ranges that hit a reservation are refused
        expectErrno(Errno.EADDRINUSE, () -> core.ioasAllowIovas(ctx, f.ioasId, List.of(new IovaRange(P, 600 * P))));
        // above the test's reservation, also when the aperture starts at 0
        IovaRange allowed = f.hasDomain() ? new IovaRange(Math.max(f.base, rStart + rLen) + 200 * P, Math.max(f.base, rStart + rLen) + 600 * P - 1)
                : new IovaRange(200 * P, 600 * P - 1);
        core.ioasAllowIovas(ctx, f.ioasId, List.of(allowed));
        for (int i = 0; i != 10; i++) {
            long len = (i + 1) * P;
            iovas[i] = mapAuto(f.ioasId, f.buffer, len);
            assertEquals(0, iovas[i] % Long.lowestOneBit(len));
            assertTrue(iovas[i] >= allowed.start() && iovas[i] <= allowed.last() && iovas[i] + len <= allowed.last() + 1);
        }
        for (int i = 0; i != 10; i++) {
            unmap(f.ioasId, iovas[i], (i + 1) * P);
        }
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void reserved_overflow(Variant v) {
        Fixture f = new Fixture(v);
        core.testAddReserved(ctx, f.ioasId, 6, 0xffff_ffff_ffff_8001L);
        expectErrno(Errno.ENOSPC, () -> mapAuto(f.ioasId, f.buffer, 0x5000));
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void area_allowed(Variant v) {
        Fixture f = new Fixture(v);
        core.ioasAllowIovas(ctx, f.ioasId, List.of(new IovaRange(f.base, f.base + 600 * P)));
        expectErrno(Errno.EADDRINUSE, () -> core.testAddReserved(ctx, f.ioasId, f.base + P, P));
        core.ioasAllowIovas(ctx, f.ioasId, List.of());
        core.testAddReserved(ctx, f.ioasId, f.base + P, P);
        expectErrno(Errno.EADDRINUSE, () -> core.ioasAllowIovas(ctx, f.ioasId, List.of(new IovaRange(f.base, f.base + 600 * P))));
        // a single byte, and overlapping ranges in one call, are EINVAL
        expectErrno(Errno.EINVAL, () -> core.ioasAllowIovas(ctx, f.ioasId, List.of(new IovaRange(f.base + 800 * P, f.base + 800 * P))));
        expectErrno(Errno.EINVAL, () -> core.ioasAllowIovas(ctx, f.ioasId,
                List.of(new IovaRange(f.base + 700 * P, f.base + 800 * P), new IovaRange(f.base + 750 * P, f.base + 900 * P))));
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void iova_ranges(Variant v) {
        Fixture f = new Fixture(v);
        IovaRanges r = core.ioasIovaRanges(ctx, f.ioasId, 4096);
        List<IovaRange> attached = backend().attachedRanges();
        if (f.hasDomain()) {
            assertEquals(attached, r.ranges());
            assertEquals(backend().granule(), r.alignment());
        } else {
            assertEquals(List.of(IovaRange.ALL), r.ranges());
            assertEquals(1, r.alignment());
        }
        int n = r.ranges().size();
        assertEquals(n, expectErrno(Errno.EMSGSIZE, () -> core.ioasIovaRanges(ctx, f.ioasId, 0)).progress());

        core.testAddReserved(ctx, f.ioasId, P, P);
        r = core.ioasIovaRanges(ctx, f.ioasId, 4096);
        if (f.hasDomain() && backend().aperture().start() > 2 * P) {
            assertEquals(attached, r.ranges(), "the reservation lies below the aperture");
            assertEquals(attached.size(), core.ioasIovaRanges(ctx, f.ioasId, attached.size()).ranges().size());
        } else if (f.hasDomain()) {
            assertEquals(new IovaRange(0, P - 1), r.ranges().get(0));
            assertEquals(new IovaRange(2 * P, attached.get(0).last()), r.ranges().get(1));
        } else {
            assertEquals(List.of(new IovaRange(0, P - 1), new IovaRange(2 * P, U64_MAX)), r.ranges());
            assertEquals(2, expectErrno(Errno.EMSGSIZE, () -> core.ioasIovaRanges(ctx, f.ioasId, 1)).progress());
        }
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void copy_area(Variant v) {
        Fixture f = new Fixture(v);
        int copyFlags = MapFlags.FIXED_IOVA | MapFlags.WRITEABLE;
        mapFixed(f.ioasId, f.buffer, P, f.base);
        assertEquals(f.base + P, core.ioasCopy(ctx, f.ioasId, f.base + P, f.ioasId, f.base, P, copyFlags));
        int other = ioas();
        assertEquals(0, core.ioasCopy(ctx, other, 0, f.ioasId, f.base, P, copyFlags));
        assertEquals(3, ctx.memory().pinCount(f.buffer), "each copy pins the page again");
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void copy_sweep(Variant v) {
        Fixture f = new Fixture(v);
        // the sweep starts a page below the mapping, so the mapping sits a page above 0 at least
        long start = Math.max(backend().aperture().start(), P);
        int copyFlags = MapFlags.FIXED_IOVA | MapFlags.WRITEABLE;
        long last = start + BUFFER_SIZE - (f.hasDomain() ? 1 : 2);
        int dst = ioas();
        mapFixed(f.ioasId, f.buffer, last - start + 1, start);
        // from a page below the aperture, unless the aperture starts at 0 (nothing lies below it)
        for (long iova = start >= P ? start - P : start; iova <= last; iova += 511) {
            long src = iova;
            if (iova < start || iova + 2047 > last) {
                expectErrno(Errno.ENOENT, () -> core.ioasCopy(ctx, dst, start, f.ioasId, src, 2048, copyFlags));
            } else {
                core.ioasCopy(ctx, dst, start, f.ioasId, src, 2048, copyFlags);
                assertEquals(2048, unmap(dst, start, 2048));
            }
        }
        ctx.destroy(dst);
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void ioas_option_huge_pages(Variant v) {
        Fixture f = new Fixture(v);
        assertEquals(1, core.optionGet(ctx, IoasOption.HUGE_PAGES, f.ioasId));
        core.optionSet(ctx, IoasOption.HUGE_PAGES, f.ioasId, 0);
        assertEquals(0, core.optionGet(ctx, IoasOption.HUGE_PAGES, f.ioasId));
        expectErrno(Errno.EINVAL, () -> core.optionSet(ctx, IoasOption.HUGE_PAGES, f.ioasId, 2));
        core.optionSet(ctx, IoasOption.HUGE_PAGES, f.ioasId, 1);
        assertEquals(1, core.optionGet(ctx, IoasOption.HUGE_PAGES, f.ioasId));
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void ioas_iova_alloc(Variant v) {
        Fixture f = new Fixture(v);
        for (long length = 1; length != 2 * P; length++) {
            long len = length;
            if (f.hasDomain() && length % backend().granule() != 0) {
                expectErrno(Errno.EINVAL, () -> mapAuto(f.ioasId, f.buffer, len));
            } else {
                long iova = mapAuto(f.ioasId, f.buffer, len);
                assertEquals(len, unmap(f.ioasId, iova, len));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void ioas_align_change(Variant v) {
        Fixture f = new Fixture(v);
        if (f.hasDomain()) {
            return; // as in the selftest: the domains fix the alignment
        }
        long s = backend().aperture().start();
        mapFixed(f.ioasId, f.buffer, P, s);
        core.optionSet(ctx, IoasOption.HUGE_PAGES, f.ioasId, 0);
        expectErrno(Errno.EINVAL, () -> mapFixed(f.ioasId, f.buffer + 2048, P, s + P));
        core.optionSet(ctx, IoasOption.HUGE_PAGES, f.ioasId, 0);
        core.optionSet(ctx, IoasOption.HUGE_PAGES, f.ioasId, 1);
        mapFixed(f.ioasId, f.buffer + 2048, P, s + P);
        expectErrno(Errno.EADDRINUSE, () -> core.optionSet(ctx, IoasOption.HUGE_PAGES, f.ioasId, 0));
        assertEquals(1, core.optionGet(ctx, IoasOption.HUGE_PAGES, f.ioasId), "the failed SET changed nothing");
        unmap(f.ioasId, s + P, P);
        unmap(f.ioasId, s, P);
    }
}
