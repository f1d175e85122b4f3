package dev.ioasid.core.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.ioasid.api.Errno;
import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.MemFile;
import dev.ioasid.api.PciAddress;

/** FIXTURE(iommufd_mock_domain) of the selftest: maps checked against the domains' tables, replace, alloc_hwpt. */
public abstract class MockDomainConformance extends ConformanceBase {
    static final long HUGEPAGE_SIZE = 2L << 20;

    public enum Variant {
        one_domain(1, false, false), two_domains(2, false, false), one_domain_hugepage(1, true, false),
        two_domains_hugepage(2, true, false), one_domain_file(1, false, true), one_domain_file_hugepage(1, true, true);

        final int domains;
        final boolean hugepages;
        final boolean file;

        Variant(int domains, boolean hugepages, boolean file) {
            this.domains = domains;
            this.hugepages = hugepages;
            this.file = file;
        }
    }

    protected final class Fixture {
        final Variant v;
        final int ioasId;
        final int[] devIds = new int[2];
        final int[] hwptIds = new int[2];
        final long bufSize;
        final long buffer;
        MemFile mfd;

        Fixture(Variant v) {
            this.v = v;
            ioasId = ioas();
            List<PciAddress> devices = List.of(D0, D1);
            for (int i = 0; i < v.domains; i++) {
                int[] md = mockDomain(devices.get(i), ioasId);
                devIds[i] = md[0];
                hwptIds[i] = md[1];
            }
            bufSize = v.hugepages ? 2 * HUGEPAGE_SIZE : 8 * P;
            if (v.file) {
                mfd = ctx.memory().createFile("mfd", bufSize);
                buffer = ctx.memory().mmap(mfd, 0, bufSize);
            } else {
                buffer = buffer(bufSize);
            }
        }

        long map(long offset, long length) {
            return v.file ? core.ioasMapFile(ctx, ioasId, mfd, offset, length, 0, RW) : mapAuto(ioasId, buffer + offset, length);
        }

        void check(long va, long iova, long length) {
            for (int i = 0; i < v.domains; i++) {
                checkMap(hwptIds[i], va, iova, length);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void basic(Variant v) {
        Fixture f = new Fixture(v);
        if (v.domains == 2) {
            assertEquals(f.hwptIds[0], f.hwptIds[1], "two devices of one unit share the automatic HWPT");
        }
        if (!v.file) {
            long iova = f.map(0, P);
            f.check(f.buffer, iova, P);
            long buf = buffer(8 * P);
            ctx.memory().munmap(buf + 4 * P, 4 * P);
            expectErrno(Errno.EFAULT, () -> mapAuto(f.ioasId, buf, 8 * P));
            ctx.memory().munmap(buf, 4 * P);
            expectErrno(Errno.EFAULT, () -> mapAuto(f.ioasId, buf, 8 * P));
            assertEquals(1, core.ioasAreas(ctx, f.ioasId).size(), "the failed maps left nothing");
        } else {
            long iova = f.map(0, P);
            f.check(f.buffer, iova, P);
            MemFile m2 = ctx.memory().createFile("mfd2", 8 * P);
            expectErrno(Errno.EINVAL, () -> core.ioasMapFile(ctx, f.ioasId, m2, 0, 8 * P + 1, 0, RW));
            m2.truncate(0);
            expectErrno(Errno.EINVAL, () -> core.ioasMapFile(ctx, f.ioasId, m2, 0, 8 * P, 0, RW));
            m2.close();
            expectErrno(Errno.EBADF, () -> core.ioasMapFile(ctx, f.ioasId, m2, 0, P, 0, RW));
        }
    }

    private void checkRefs(long va, long length, int refs) {
        for (long off = 0; off < length; off += P) {
            assertEquals(refs, ctx.memory().pinCount(va + off), String.format("pins of page 0x%x", va + off));
        }
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void all_aligns(Variant v) {
        Fixture f = new Fixture(v);
        long g = backend().granule();
        long step = v.hugepages ? f.bufSize / 16 : g;
        int pairs = 0;
        for (long start = 0; start < f.bufSize; start += step) {
            long end = v.hugepages ? f.bufSize : start + g;
            for (; end < f.bufSize; end += g) {
                long len = end - start;
                long iova = f.map(start, len);
                f.check(f.buffer + start, iova, len);
                long firstPage = start / P * P;
                long lastPage = (end - 1) / P * P;
                checkRefs(f.buffer + firstPage, lastPage - firstPage + P, 1);
                assertEquals(len, unmap(f.ioasId, iova, len));
                pairs++;
            }
        }
        if (!v.hugepages) {
            long n = f.bufSize / g;
            assertEquals(n * (n - 1) / 2, pairs, "every (start, end) pair of granules");
        }
        checkRefs(f.buffer, f.bufSize, 0);
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void all_aligns_copy(Variant v) {
        Fixture f = new Fixture(v);
        long g = backend().granule();
        long step = v.hugepages ? f.bufSize / 16 : g;
        for (long start = 0; start < f.bufSize; start += step) {
            long end = v.hugepages ? f.bufSize : start + g;
            for (; end < f.bufSize; end += g) {
                long len = end - start;
                long iova = f.map(start, len);
                int[] md = mockDomain(D2, f.ioasId);
                assertEquals(f.hwptIds[0], md[1], "the new device reuses the automatic HWPT");
                checkMap(md[1], f.buffer + start, iova, len);
                f.check(f.buffer + start, iova, len);
                long firstPage = start / P * P;
                checkRefs(f.buffer + firstPage, (end - 1) / P * P - firstPage + P, 1);
                core.unbind(ctx, md[0]);
                assertEquals(len, unmap(f.ioasId, iova, len));
            }
        }
        checkRefs(f.buffer, f.bufSize, 0);
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void replace(Variant v) {
        Fixture f = new Fixture(v);
        int ioas2 = ioas();
        int h2 = core.replace(ctx, f.devIds[0], ioas2);
        if (v.domains == 1) {
            expectErrno(Errno.ENOENT, () -> core.replace(ctx, f.devIds[0], f.hwptIds[0]));
        }
        assertEquals(h2, core.replace(ctx, f.devIds[0], ioas2), "the same automatic HWPT is found again");
        if (v.domains >= 2) {
            core.replace(ctx, f.devIds[0], f.hwptIds[1]);
            core.replace(ctx, f.devIds[0], f.hwptIds[1]);
            core.replace(ctx, f.devIds[0], f.hwptIds[0]);
            expectErrno(Errno.ENOENT, () -> ctx.destroy(h2));
        }
        core.replace(ctx, f.devIds[0], f.ioasId);
        ctx.destroy(ioas2);
    }

    @ParameterizedTest
    @EnumSource(Variant.class)
    void alloc_hwpt(Variant v) {
        Fixture f = new Fixture(v);
        for (int i = 0; i < v.domains; i++) {
            int dev = f.devIds[i];
            expectErrno(Errno.EOPNOTSUPP, () -> core.hwptAlloc(ctx, HwptAlloc.paging(dev, f.ioasId, ~HwptFlags.NEST_PARENT)));
            int h0 = core.hwptAlloc(ctx, HwptAlloc.paging(dev, f.ioasId, 0));
            int h1 = core.hwptAlloc(ctx, HwptAlloc.paging(dev, f.ioasId, HwptFlags.NEST_PARENT));
            core.replace(ctx, dev, h0);
            expectErrno(Errno.EBUSY, () -> ctx.destroy(h0));
            core.replace(ctx, dev, h1);
            expectErrno(Errno.EBUSY, () -> ctx.destroy(h1));
            core.replace(ctx, dev, f.ioasId);
            ctx.destroy(h1);
            int[] md = mockDomain(D2, h0);
            assertEquals(h0, md[1]);
            core.unbind(ctx, md[0]);
            ctx.destroy(h0);
        }
    }
}
