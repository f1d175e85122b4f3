package dev.ioasid.core.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.ioasid.api.AccessService;
import dev.ioasid.api.Errno;
import dev.ioasid.api.MapFlags;
import dev.ioasid.machine.UserAddressSpace;

/**
 * Access objects (an emulated device using an IOAS without a hardware domain), after the selftest's
 * access_pin, access_pin_unmap, access_rw, access_rw_unaligned and user_copy.
 */
public abstract class AccessConformance extends ConformanceBase {

    @Test
    void access_pin() {
        int ioas = ioas();
        long buf = buffer(BUFFER_SIZE);
        long iova = mapAuto(ioas, buf, BUFFER_SIZE);
        int acc = core.accessCreate(ctx, ioas, (i, l) -> { });
        for (long npages = 1; npages < BUFFER_SIZE / P; npages++) {
            long[] phys = core.accessPin(ctx, acc, iova, npages * P, 0);
            assertEquals(npages, phys.length);
            for (int i = 0; i < npages; i++) {
                assertEquals(((UserAddressSpace) ctx.memory()).physical(buf + i * P), phys[i], "page " + i);
                assertEquals(2, ctx.memory().pinCount(buf + i * P), "pinned by the map and by the access");
            }
            core.accessUnpin(ctx, acc, iova, npages * P);
            assertEquals(1, ctx.memory().pinCount(buf));
        }
        expectErrno(Errno.EINVAL, () -> core.accessUnpin(ctx, acc, iova, P));
        expectErrno(Errno.ENOENT, () -> core.accessPin(ctx, acc, iova + BUFFER_SIZE, P, 0));
        expectErrno(Errno.EINVAL, () -> core.accessPin(ctx, acc, iova, 0, 0));
        long ro = core.ioasMap(ctx, ioas, buf, P, 0, MapFlags.READABLE);
        expectErrno(Errno.EPERM, () -> core.accessPin(ctx, acc, ro, P, AccessService.WRITE));
        core.accessPin(ctx, acc, ro, P, 0);
        expectErrno(Errno.EBUSY, () -> ctx.destroy(ioas));
        ctx.destroy(acc);
        assertEquals(2, ctx.memory().pinCount(buf), "destroying the access unpinned its pages");
    }

    @Test
    void access_pin_unmap() {
        int ioas = ioas();
        long buf = buffer(BUFFER_SIZE);
        long iova = mapAuto(ioas, buf, BUFFER_SIZE);
        List<long[]> told = new ArrayList<>();
        int[] accId = new int[1];
        accId[0] = core.accessCreate(ctx, ioas, (i, l) -> {
            told.add(new long[] { i, l });
            core.accessUnpin(ctx, accId[0], iova, P);
        });
        core.accessPin(ctx, accId[0], iova, P, AccessService.WRITE);
        assertEquals(BUFFER_SIZE, unmap(ioas, iova, BUFFER_SIZE));
        assertEquals(1, told.size(), "the access was told once");
        assertEquals(iova, told.get(0)[0]);
        assertEquals(BUFFER_SIZE, told.get(0)[1]);
        assertEquals(0, ctx.memory().pinCount(buf));
        expectErrno(Errno.ENOENT, () -> core.accessPin(ctx, accId[0], iova, P, 0));
    }

    @Test
    void an_access_that_does_not_unpin_makes_the_unmap_ebusy() {
        int ioas = ioas();
        long buf = buffer(P);
        long iova = mapAuto(ioas, buf, P);
        int acc = core.accessCreate(ctx, ioas, (i, l) -> { });
        core.accessPin(ctx, acc, iova, P, 0);
        expectErrno(Errno.EBUSY, () -> unmap(ioas, iova, P));
        assertEquals(1, core.ioasAreas(ctx, ioas).size(), "the area stays");
        core.accessUnpin(ctx, acc, iova, P);
        assertEquals(P, unmap(ioas, iova, P));
    }

    @Test
    void access_rw() {
        int ioas = ioas();
        long buf = buffer(BUFFER_SIZE);
        long iova = mapAuto(ioas, buf, BUFFER_SIZE);
        int acc = core.accessCreate(ctx, ioas, (i, l) -> { });
        for (long len = 1; len < 2 * P + 10; len = len * 3 + 1) {
            byte[] data = new byte[(int) len];
            for (int i = 0; i < len; i++) {
                data[i] = (byte) (len + i);
            }
            core.accessRw(ctx, acc, iova + P - 1, data, AccessService.WRITE);
            assertArrayEquals(data, ctx.memory().read(buf + P - 1, (int) len), "written through the IOVA");
            byte[] back = new byte[(int) len];
            core.accessRw(ctx, acc, iova + P - 1, back, 0);
            assertArrayEquals(data, back);
        }
        expectErrno(Errno.ENOENT, () -> core.accessRw(ctx, acc, iova + BUFFER_SIZE - 1, new byte[2], 0));
        long ro = core.ioasMap(ctx, ioas, buf, P, 0, MapFlags.READABLE);
        expectErrno(Errno.EPERM, () -> core.accessRw(ctx, acc, ro, new byte[1], AccessService.WRITE));
    }

    @Test
    void access_rw_unaligned() {
        int ioas = ioas();
        long buf = buffer(BUFFER_SIZE);
        long iova = mapAuto(ioas, buf + 100, BUFFER_SIZE - 200);
        int acc = core.accessCreate(ctx, ioas, (i, l) -> { });
        byte[] data = "unaligned across a page boundary".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        core.accessRw(ctx, acc, iova + P - 110, data, AccessService.WRITE);
        assertArrayEquals(data, ctx.memory().read(buf + 100 + P - 110, data.length));
    }

    @Test
    void user_copy() {
        int ioasA = ioas();
        int ioasB = ioas();
        long buf = buffer(BUFFER_SIZE);
        ctx.memory().write(buf, "copied mapping".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        long s = 0x100_0000;
        mapFixed(ioasA, buf, BUFFER_SIZE, s);
        core.ioasCopy(ctx, ioasB, s, ioasA, s, BUFFER_SIZE, FIXED_RW);
        int acc = core.accessCreate(ctx, ioasA, (i, l) -> { });
        core.accessPin(ctx, acc, s, P, 0);
        expectErrno(Errno.EBUSY, () -> core.accessReplaceIoas(ctx, acc, ioasB));
        core.accessUnpin(ctx, acc, s, P);
        core.accessReplaceIoas(ctx, acc, ioasB);
        unmap(ioasA, 0, U64_MAX);
        byte[] back = new byte[14];
        core.accessRw(ctx, acc, s, back, 0);
        assertEquals("copied mapping", new String(back, java.nio.charset.StandardCharsets.UTF_8));
        ctx.destroy(ioasA);
        expectErrno(Errno.EBUSY, () -> ctx.destroy(ioasB));
        assertTrue(acc > 0);
    }
}
