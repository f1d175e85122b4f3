package dev.ioasid.core.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.ioasid.api.Errno;
import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.HwptDataType;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.IommuException;
import dev.ioasid.backend.mock.internal.MockUnit;
import dev.ioasid.spi.NestedDomain;

/** TEST_F(iommufd_ioas, alloc_hwpt_nested): the errno matrix of nested allocation and invalidation. */
public abstract class NestedConformance extends ConformanceBase {

    public enum Variant {
        no_domain, mock_domain, two_mock_domain
    }

    private static byte[] inv(int... flagsAndIds) {
        ByteBuffer b = ByteBuffer.allocate(flagsAndIds.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : flagsAndIds) {
            b.putInt(x);
        }
        return b.array();
    }

    private void checkIotlb(int hwpt, int... expected) {
        if (!backend().isSelftestMock()) {
            return;
        }
        NestedDomain d = (NestedDomain) core.domainOf(ctx, hwpt);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], MockUnit.nestedIotlb(d, i), "iotlb[" + i + "] of HWPT " + hwpt);
        }
    }

    private IommuException invalidate(Errno errno, int hwpt, int type, int len, byte[] entries, int num, int expectDone) {
        IommuException e = expectErrno(errno, () -> core.hwptInvalidate(ctx, hwpt, type, len, entries, num));
        assertEquals(expectDone, e.progress(), "entry_num out");
        return e;
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void alloc_hwpt_nested(Variant v) {
        int ioas = ioas();
        int type = backend().nestedDataType();
        byte[] data = backend().nestedData();
        if (v == Variant.no_domain) {
            expectErrno(Errno.ENOENT, () -> core.hwptAlloc(ctx, HwptAlloc.paging(0, ioas, 0)));
            expectErrno(Errno.ENOENT, () -> core.hwptAlloc(ctx, HwptAlloc.nested(0, 0, type, data)));
            expectErrno(Errno.ENOENT, () -> core.replace(ctx, 0, 0));
            return;
        }
        int dev = mockDomain(D0, ioas)[0];
        if (v == Variant.two_mock_domain) {
            dev = mockDomain(D1, ioas)[0];
        }
        int d = dev;
        expectErrno(Errno.ENOENT, () -> core.hwptAlloc(ctx, HwptAlloc.paging(ioas, d, 0)));
        expectErrno(Errno.EINVAL, () -> core.hwptAlloc(ctx, HwptAlloc.paging(d, d, 0)));
        expectErrno(Errno.EOPNOTSUPP, () -> core.hwptAlloc(ctx, HwptAlloc.paging(d, ioas, HwptFlags.NEST_PARENT | HwptFlags.FAULT_ID_VALID)));
        int objects = ctx.objects().size();

        int parent = core.hwptAlloc(ctx, HwptAlloc.paging(d, ioas, HwptFlags.NEST_PARENT));
        int parentNotWork = core.hwptAlloc(ctx, HwptAlloc.paging(d, ioas, 0));

        expectErrno(Errno.EINVAL, () -> core.hwptAlloc(ctx, new HwptAlloc(d, parent, 0, 0, HwptDataType.NONE, data)));
        if (backend().isSelftestMock()) {
            expectErrno(Errno.EOPNOTSUPP, () -> core.hwptAlloc(ctx, HwptAlloc.nested(d, parent, HwptDataType.SELFTEST + 1, data)));
            expectErrno(Errno.EINVAL, () -> core.hwptAlloc(ctx, HwptAlloc.nested(d, parent, HwptDataType.SELFTEST, new byte[3])));
            expectErrno(Errno.EINVAL, () -> core.hwptAlloc(ctx, HwptAlloc.nested(d, parent, HwptDataType.SELFTEST, new byte[9])));
        }
        expectErrno(Errno.EOPNOTSUPP, () -> core.hwptAlloc(ctx, HwptAlloc.nested(d, parent, type, data).withFlags(HwptFlags.NEST_PARENT)));
        expectErrno(Errno.EINVAL, () -> core.hwptAlloc(ctx, HwptAlloc.nested(d, parentNotWork, type, data)));
        assertEquals(objects + 2, ctx.objects().size(), "the failed allocations left nothing behind");

        int nested0 = core.hwptAlloc(ctx, HwptAlloc.nested(d, parent, type, data));
        int nested1 = core.hwptAlloc(ctx, HwptAlloc.nested(d, parent, type, data));
        expectErrno(Errno.ENOENT, () -> core.hwptAlloc(ctx, HwptAlloc.nested(d, parent, type, data).withFault(-1)));
        int def = MockBackend.IOTLB_DEFAULT;
        checkIotlb(nested0, def, def, def, def);
        checkIotlb(nested1, def, def, def, def);

        expectErrno(Errno.EINVAL, () -> core.hwptAlloc(ctx, HwptAlloc.nested(d, nested0, type, data)));
        expectErrno(Errno.EBUSY, () -> ctx.destroy(parent));

        if (backend().isSelftestMock()) {
            int st = HwptDataType.INVALIDATE_SELFTEST;
            invalidate(Errno.EINVAL, parent, st, 8, inv(0, 0), 1, 0);
            assertEquals(0, core.hwptInvalidate(ctx, nested0, st, 8, inv(0, 0), 0));
            invalidate(Errno.EINVAL, nested0, 0xdadbeef, 8, inv(0, 0), 1, 0);
            invalidate(Errno.EINVAL, nested0, st, 9, inv(0, 0, 0), 1, 0);
            invalidate(Errno.EINVAL, nested0, st, 1, inv(0, 0), 1, 0);
            invalidate(Errno.EOPNOTSUPP, nested0, st, 8, inv(0xffffffff, 0), 1, 0);
            invalidate(Errno.EINVAL, nested0, st, 8, null, 1, 0);
            invalidate(Errno.EINVAL, nested0, st, 0, inv(0, 0), 1, 0);
            invalidate(Errno.EINVAL, nested0, st, 8, inv(0, 4), 1, 0);
            checkIotlb(nested0, def, def, def, def);
            invalidate(Errno.EOPNOTSUPP, nested0, st, 8, inv(0, 0, 0xffffffff, 1), 2, 1);
            checkIotlb(nested0, 0, def, def, def);
            invalidate(Errno.EINVAL, nested0, st, 8, inv(0, 0, 0, 4), 2, 1);
            checkIotlb(nested0, 0, def, def, def);
            assertEquals(1, core.hwptInvalidate(ctx, nested0, st, 8, inv(0, 1), 1));
            checkIotlb(nested0, 0, 0, def, def);
            assertEquals(2, core.hwptInvalidate(ctx, nested0, st, 8, inv(0, 2, 0, 3), 2));
            checkIotlb(nested0, 0, 0, 0, 0);
            assertEquals(1, core.hwptInvalidate(ctx, nested1, st, 8, inv(1, 0), 1));
            checkIotlb(nested1, 0, 0, 0, 0);
        }
        // invalidation needs a nested HWPT: a paging one or an IOAS is EINVAL, a missing id ENOENT
        invalidate(Errno.EINVAL, parent, type, 8, new byte[8], 1, 0);
        invalidate(Errno.EINVAL, ioas, type, 8, new byte[8], 1, 0);
        expectErrno(Errno.ENOENT, () -> core.hwptInvalidate(ctx, 999, type, 8, new byte[8], 1));

        core.replace(ctx, d, nested0);
        expectErrno(Errno.EBUSY, () -> ctx.destroy(nested0));
        core.replace(ctx, d, nested1);
        expectErrno(Errno.EBUSY, () -> ctx.destroy(nested1));
        ctx.destroy(nested0);
        core.replace(ctx, d, parent);
        ctx.destroy(nested1);
        core.replace(ctx, d, ioas);
        ctx.destroy(parent);
        ctx.destroy(parentNotWork);
    }
}
