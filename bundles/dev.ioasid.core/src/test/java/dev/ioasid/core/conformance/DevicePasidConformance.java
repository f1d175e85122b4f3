package dev.ioasid.core.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.ioasid.api.Errno;
import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.HwptFlags;

/** FIXTURE(iommufd_device_pasid), TEST pasid_attach: the attach/replace/detach matrix by (RID, PASID). */
public abstract class DevicePasidConformance extends ConformanceBase {

    public enum Variant {
        has_pasid, no_pasid
    }

    /** PASID_CHECK_HWPT: the PASID is attached to exactly this HWPT (0: detached), in the core and in the hardware. */
    protected void checkPasid(int dev, int pasid, int hwpt) {
        Integer actual = core.device(ctx, dev).pasidHwpts().get(pasid);
        if (hwpt == 0) {
            assertFalse(core.device(ctx, dev).pasidHwpts().containsKey(pasid), "PASID " + pasid + " is detached");
        } else {
            assertEquals(Integer.valueOf(hwpt), actual, "PASID " + pasid + " is on HWPT " + hwpt);
        }
        hardwareCheck(dev, pasid, hwpt);
    }

    /** What the backend's own tables say about (RID, PASID); the mock's device table here. */
    protected void hardwareCheck(int dev, int pasid, int hwpt) {
        if (backend().isSelftestMock()) {
            var unit = (dev.ioasid.backend.mock.internal.MockUnit) units.get(0);
            var pci = machine.device(core.device(ctx, dev).address());
            assertSame(hwpt == 0 ? null : core.domainOf(ctx, hwpt), unit.attached(pci, pasid), "the mock's device table");
        }
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void pasid_attach(Variant variant) {
        int ioas = ioas();
        int[] md = mockDomain(DP, ioas);
        int dev = md[0];
        int noPasidDev = variant == Variant.no_pasid ? mockDomain(D0, ioas)[0] : 0;
        byte[] data = backend().nestedData();
        int type = backend().nestedDataType();

        core.detach(ctx, dev, 100);
        int parent = core.hwptAlloc(ctx, HwptAlloc.paging(dev, ioas, HwptFlags.NEST_PARENT));
        // a backend that nests per RID (the guest owns the PASID table) has no PASID-capable nested HWPT
        boolean perPasid = backend().nestsPerPasid();
        int nestedFlags = perPasid ? HwptFlags.PASID : 0;
        int nested0 = core.hwptAlloc(ctx, HwptAlloc.nested(dev, parent, type, data).withFlags(nestedFlags));
        int nested1 = core.hwptAlloc(ctx, HwptAlloc.nested(dev, parent, type, data).withFlags(nestedFlags));
        int s2 = core.hwptAlloc(ctx, HwptAlloc.paging(dev, ioas, HwptFlags.PASID));
        int pasidHwpt = perPasid ? nested0 : s2;

        // the RID's HWPT must be PASID-compatible for a PASID to be attached, and stay so
        core.replace(ctx, dev, parent);
        expectErrno(Errno.EINVAL, () -> core.attach(ctx, dev, s2, 100));
        core.replace(ctx, dev, s2);
        core.attach(ctx, dev, pasidHwpt, 100);
        expectErrno(Errno.EINVAL, () -> core.replace(ctx, dev, parent));
        assertEquals(s2, core.device(ctx, dev).ridHwpt(), "the failed replace kept the RID's HWPT");
        core.detach(ctx, dev, 100);
        checkPasid(dev, 100, 0);

        if (variant == Variant.no_pasid) {
            core.replace(ctx, noPasidDev, nested0);
            core.replace(ctx, noPasidDev, ioas);
            expectErrno(Errno.EINVAL, () -> core.attach(ctx, noPasidDev, parent, 100));
            expectErrno(Errno.EINVAL, () -> core.attach(ctx, noPasidDev, s2, 100));
        }

        expectErrno(Errno.EINVAL, () -> core.attach(ctx, dev, parent, 100));
        checkPasid(dev, 100, 0);
        expectErrno(Errno.EINVAL, () -> core.attach(ctx, dev, ioas, 100));
        checkPasid(dev, 100, 0);
        assertEquals(s2, core.attach(ctx, dev, s2, 100));
        checkPasid(dev, 100, s2);
        expectErrno(Errno.EBUSY, () -> core.attach(ctx, dev, nested0, 100));
        checkPasid(dev, 100, s2);
        core.detach(ctx, dev, 100);
        checkPasid(dev, 100, 0);

        if (perPasid) {
            core.attach(ctx, dev, nested0, 100);
            checkPasid(dev, 100, nested0);
            expectErrno(Errno.EBUSY, () -> core.attach(ctx, dev, nested0, 100));
            core.detach(ctx, dev, 100);
        } else {
            expectErrno(Errno.EINVAL, () -> core.attach(ctx, dev, nested0, 100));
            checkPasid(dev, 100, 0);
        }

        expectErrno(Errno.EINVAL, () -> core.replace(ctx, dev, s2, 200));
        core.attach(ctx, dev, s2, 200);
        checkPasid(dev, 200, s2);
        expectErrno(Errno.EINVAL, () -> core.replace(ctx, dev, ioas, 200));
        checkPasid(dev, 200, s2);
        if (perPasid) {
            core.replace(ctx, dev, nested0, 200);
            checkPasid(dev, 200, nested0);
            core.replace(ctx, dev, nested1, 200);
            checkPasid(dev, 200, nested1);
        } else {
            expectErrno(Errno.EINVAL, () -> core.replace(ctx, dev, nested0, 200));
            checkPasid(dev, 200, s2);
        }
        core.detach(ctx, dev, 200);
        checkPasid(dev, 200, 0);

        if (backend().isSelftestMock()) {
            // the mock's fault injection on PASID 1024: the second attach fails, and the old one stays
            core.attach(ctx, dev, s2, 1024);
            checkPasid(dev, 1024, s2);
            expectErrno(Errno.ENOMEM, () -> core.replace(ctx, dev, nested0, 1024));
            checkPasid(dev, 1024, s2);
            core.detach(ctx, dev, 1024);
        }

        // PASIDs beyond the device's width, or outside 20 bits, are EINVAL
        expectErrno(Errno.EINVAL, () -> core.attach(ctx, dev, s2, 1 << 20));
        expectErrno(Errno.EINVAL, () -> core.attach(ctx, dev, s2, -1));

        core.replace(ctx, dev, ioas);
        expectErrno(Errno.EBUSY, () -> ctx.destroy(parent));
    }
}
