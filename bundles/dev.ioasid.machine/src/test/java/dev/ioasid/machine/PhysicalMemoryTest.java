package dev.ioasid.machine;

import static dev.ioasid.machine.PhysicalMemory.FRAME_SIZE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PhysicalMemoryTest {
    private static final long MIB16 = 16L << 20;

    private PhysicalMemory mem;

    @BeforeEach
    void setUp() {
        mem = new PhysicalMemory(2 * MIB16);
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 31 + seed + (i >>> 8));
        }
        return b;
    }

    // ---- construction -------------------------------------------------------------------------------------

    @Test
    void constructorAcceptsMultiplesOf16MiB() {
        assertEquals(MIB16, new PhysicalMemory(MIB16).size());
        assertEquals(64L << 30, new PhysicalMemory(64L << 30).size());
        assertEquals(0, new PhysicalMemory(64L << 30).backedFrames());
    }

    @Test
    void constructorRejectsOtherSizes() {
        assertThrows(IllegalArgumentException.class, () -> new PhysicalMemory(0));
        assertThrows(IllegalArgumentException.class, () -> new PhysicalMemory(-MIB16));
        assertThrows(IllegalArgumentException.class, () -> new PhysicalMemory(MIB16 + FRAME_SIZE));
        assertThrows(IllegalArgumentException.class, () -> new PhysicalMemory(FRAME_SIZE));
        assertThrows(IllegalArgumentException.class, () -> new PhysicalMemory(MIB16 - 1));
    }

    // ---- little-endian loads and stores --------------------------------------------------------------------

    @Test
    void bulk64StoresLandAsSingleStoresWouldAndLoadsReportAllZero() {
        long[] vals = {0x1122_3344_5566_7788L, -1L, 0, 42};
        long pa = 3 * FRAME_SIZE + 0xff0 - 8 * 3;
        mem.store64s(pa, vals, 1, 3);
        assertEquals(-1L, mem.load64(pa));
        assertEquals(0, mem.load64(pa + 8));
        assertEquals(42, mem.load64(pa + 16));
        long[] back = new long[5];
        assertFalse(mem.load64s(pa, back, 2, 3));
        assertArrayEquals(new long[] {0, 0, -1L, 0, 42}, back);
        // a frame never written reads as zeros, is reported all-zero, and is not backed by the load
        long cold = 9 * FRAME_SIZE;
        long backed = mem.backedFrames();
        java.util.Arrays.fill(back, 7);
        assertTrue(mem.load64s(cold, back, 0, 5));
        assertArrayEquals(new long[5], back);
        assertEquals(backed, mem.backedFrames());
        assertTrue(mem.load64s(pa + 8, back, 0, 1), "one zero value");
    }

    @Test
    void bulk64RefusesRunsThatLeaveTheFrameOrAreUnalignedOrOutOfRange() {
        long[] vals = new long[4];
        assertThrows(IllegalArgumentException.class, () -> mem.store64s(FRAME_SIZE - 16, vals, 0, 3));
        assertThrows(IllegalArgumentException.class, () -> mem.load64s(FRAME_SIZE - 16, vals, 0, 3));
        assertThrows(IllegalArgumentException.class, () -> mem.store64s(4, vals, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> mem.load64s(4, vals, 0, 1));
        assertThrows(BusError.class, () -> mem.store64s(2 * MIB16, vals, 0, 1));
        assertEquals(0, mem.backedFrames(), "nothing was written");
    }

    @Test
    void store64IsLittleEndianByteForByte() {
        long pa = 5 * FRAME_SIZE;
        mem.store64(pa, 0x0102030405060708L);
        for (int i = 0; i < 8; i++) {
            assertEquals(8 - i, mem.load8(pa + i), "byte " + i);
        }
        assertEquals(0, mem.load8(pa + 8));
        assertEquals(0, mem.load8(pa - 1));
        assertEquals(0x0102030405060708L, mem.load64(pa));
        assertEquals(0x0708, mem.load16(pa));
        assertEquals(0x05060708, mem.load32(pa));
        assertEquals(0x01020304, mem.load32(pa + 4));
    }

    @Test
    void store32AndStore16AreLittleEndian() {
        long pa = 3 * FRAME_SIZE + 16;
        mem.store32(pa, 0xA1B2C3D4);
        assertEquals(0xD4, mem.load8(pa));
        assertEquals(0xC3, mem.load8(pa + 1));
        assertEquals(0xB2, mem.load8(pa + 2));
        assertEquals(0xA1, mem.load8(pa + 3));
        assertEquals(0xA1B2C3D4, mem.load32(pa));

        mem.store16(pa + 8, 0xBEEF);
        assertEquals(0xEF, mem.load8(pa + 8));
        assertEquals(0xBE, mem.load8(pa + 9));
        assertEquals(0xBEEF, mem.load16(pa + 8));
    }

    @Test
    void storesTruncateAndLoadsAreUnsigned() {
        long pa = FRAME_SIZE;
        mem.store8(pa, 0x1FF);
        assertEquals(0xFF, mem.load8(pa));
        mem.store16(pa + 2, 0xFFFF_8001);
        assertEquals(0x8001, mem.load16(pa + 2));
        assertEquals(0, mem.load8(pa + 4), "store16 must not spill into the next bytes");
        mem.store64(pa + 8, -1L);
        assertEquals(-1L, mem.load64(pa + 8));
        assertEquals(0xFFFF_FFFF, mem.load32(pa + 12));
    }

    @Test
    void storesOnlyTouchTheirOwnBytes() {
        long pa = 2 * FRAME_SIZE;
        mem.store64(pa, -1L);
        mem.store8(pa + 2, 0x00);
        assertEquals(0xFFFF_FFFF_FF00_FFFFL, mem.load64(pa));
        mem.store16(pa + 4, 0x1234);
        assertEquals(0xFFFF_1234_FF00_FFFFL, mem.load64(pa));
        mem.store32(pa, 0);
        assertEquals(0xFFFF_1234_0000_0000L, mem.load64(pa));
    }

    @Test
    void unalignedAccessesInsideAFrame() {
        long base = 7 * FRAME_SIZE;
        for (int off = 1; off < 8; off++) {
            long pa = base + 64 * off + off;
            long v = 0x1122334455667788L ^ off;
            mem.store64(pa, v);
            assertEquals(v, mem.load64(pa), "offset " + off);
            for (int i = 0; i < 8; i++) {
                assertEquals((int) (v >>> (8 * i)) & 0xff, mem.load8(pa + i));
            }
            mem.store32(pa + 32, 0xCAFEBABE);
            assertEquals(0xCAFEBABE, mem.load32(pa + 32));
            assertEquals(0xBABE, mem.load16(pa + 32));
            assertEquals(0xCAFE, mem.load16(pa + 34));
        }
    }

    @Test
    void store64CrossingAFrameBoundary() {
        for (int before = 1; before < 8; before++) {
            PhysicalMemory m = new PhysicalMemory(MIB16);
            long pa = 2L * FRAME_SIZE - before;
            long v = 0x8877665544332211L;
            m.store64(pa, v);
            for (int i = 0; i < 8; i++) {
                assertEquals((int) (v >>> (8 * i)) & 0xff, m.load8(pa + i), "split " + before + " byte " + i);
            }
            assertEquals(v, m.load64(pa), "split " + before);
            assertEquals(2, m.backedFrames(), "a crossing store backs both frames");
        }
    }

    @Test
    void store32AndStore16CrossingAFrameBoundary() {
        long end = 4L * FRAME_SIZE;
        mem.store32(end - 1, 0x44332211);
        assertEquals(0x11, mem.load8(end - 1));
        assertEquals(0x22, mem.load8(end));
        assertEquals(0x33, mem.load8(end + 1));
        assertEquals(0x44, mem.load8(end + 2));
        assertEquals(0x44332211, mem.load32(end - 1));
        assertEquals(0x2211, mem.load16(end - 1));

        mem.store32(end - 3, 0xDDCCBBAA);
        assertEquals(0xDDCCBBAA, mem.load32(end - 3));
        assertEquals(0xAA, mem.load8(end - 3));
        assertEquals(0xDD, mem.load8(end));

        long end2 = 9L * FRAME_SIZE;
        mem.store16(end2 - 1, 0xB0A0);
        assertEquals(0xA0, mem.load8(end2 - 1));
        assertEquals(0xB0, mem.load8(end2));
        assertEquals(0xB0A0, mem.load16(end2 - 1));
    }

    @Test
    void crossingLoadWhereOnlyOneFrameIsBacked() {
        long end = 6L * FRAME_SIZE;
        mem.store8(end, 0xAB); // only the second frame is backed
        assertEquals(1, mem.backedFrames());
        assertEquals(0xAB00, mem.load16(end - 1));
        assertEquals(0xAB00_0000, mem.load32(end - 3));
        assertEquals(0x00AB_0000_0000_0000L, mem.load64(end - 6));

        long end2 = 12L * FRAME_SIZE;
        mem.store8(end2 - 1, 0xCD); // only the first frame is backed
        assertEquals(0xCD, mem.load16(end2 - 1));
        assertEquals(0xCDL << 32, mem.load64(end2 - 5));
        assertEquals(2, mem.backedFrames());
    }

    // ---- sparseness ----------------------------------------------------------------------------------------

    @Test
    void neverWrittenFramesReadZeroAndAreNotBacked() {
        assertEquals(0, mem.load8(0));
        assertEquals(0, mem.load16(FRAME_SIZE - 1));
        assertEquals(0, mem.load32(123));
        assertEquals(0, mem.load64(mem.size() - 8));
        assertEquals(0, mem.load64(5 * FRAME_SIZE - 3));
        assertArrayEquals(new byte[3 * FRAME_SIZE], mem.read(FRAME_SIZE / 2, 3 * FRAME_SIZE));
        assertEquals(0, mem.backedFrames(), "reads must not back frames");
    }

    @Test
    void backedFramesCountsWrittenFrames() {
        mem.store8(0, 1);
        assertEquals(1, mem.backedFrames());
        mem.store64(8, 1);
        assertEquals(1, mem.backedFrames(), "same frame");
        mem.write(3L * FRAME_SIZE - 2, new byte[] { 1, 2, 3, 4 });
        assertEquals(3, mem.backedFrames());
        mem.store32(100L * FRAME_SIZE, 0); // writing zeros still backs the frame
        assertEquals(4, mem.backedFrames());
    }

    @Test
    void discardDropsContentsAndBacking() {
        mem.store64(FRAME_SIZE, 42);
        mem.store64(2L * FRAME_SIZE + 8, 43);
        mem.store64(3L * FRAME_SIZE + 16, 44);
        assertEquals(3, mem.backedFrames());

        mem.discard(FRAME_SIZE, 2);
        assertEquals(1, mem.backedFrames());
        assertEquals(0, mem.load64(FRAME_SIZE));
        assertEquals(0, mem.load64(2L * FRAME_SIZE + 8));
        assertEquals(44, mem.load64(3L * FRAME_SIZE + 16));

        mem.discard(20L * FRAME_SIZE, 4); // never written: nothing to drop
        assertEquals(1, mem.backedFrames());

        mem.store8(FRAME_SIZE, 9); // a discarded frame can be written again
        assertEquals(9, mem.load8(FRAME_SIZE));
        assertEquals(2, mem.backedFrames());
    }

    @Test
    void zeroOfPartOfAFrameKeepsItBacked() {
        long pa = 4L * FRAME_SIZE;
        mem.write(pa, pattern(FRAME_SIZE, 7));
        mem.zero(pa + 100, 200);
        assertEquals(1, mem.backedFrames());
        byte[] expect = pattern(FRAME_SIZE, 7);
        java.util.Arrays.fill(expect, 100, 300, (byte) 0);
        assertArrayEquals(expect, mem.read(pa, FRAME_SIZE));
    }

    @Test
    void zeroOfWholeFramesDiscardsThem() {
        long pa = 4L * FRAME_SIZE;
        mem.write(pa, pattern(4 * FRAME_SIZE, 3));
        assertEquals(4, mem.backedFrames());
        // from the middle of frame 0 to the middle of frame 3: frames 1 and 2 are wholly zeroed
        mem.zero(pa + FRAME_SIZE / 2, 3L * FRAME_SIZE);
        assertEquals(2, mem.backedFrames());
        byte[] expect = pattern(4 * FRAME_SIZE, 3);
        java.util.Arrays.fill(expect, FRAME_SIZE / 2, FRAME_SIZE / 2 + 3 * FRAME_SIZE, (byte) 0);
        assertArrayEquals(expect, mem.read(pa, 4 * FRAME_SIZE));
    }

    @Test
    void zeroOfNeverWrittenMemoryBacksNothing() {
        mem.zero(FRAME_SIZE + 5, 3L * FRAME_SIZE);
        assertEquals(0, mem.backedFrames());
        assertEquals(0, mem.load64(FRAME_SIZE + 8));
    }

    // ---- bulk ----------------------------------------------------------------------------------------------

    @Test
    void bulkWriteAndReadAcrossFrames() {
        byte[] data = pattern(3 * FRAME_SIZE + 500, 1);
        long pa = 10L * FRAME_SIZE - 250;
        mem.write(pa, data);
        assertArrayEquals(data, mem.read(pa, data.length));
        assertEquals(5, mem.backedFrames());
        assertEquals(0, mem.load8(pa - 1));
        assertEquals(0, mem.load8(pa + data.length));
        for (int i = 0; i < data.length; i += 997) {
            assertEquals(data[i] & 0xff, mem.load8(pa + i));
        }
        // into the middle of a destination array
        byte[] dst = new byte[data.length + 20];
        java.util.Arrays.fill(dst, (byte) 0x5A);
        mem.read(pa, dst, 10, data.length);
        assertEquals(0x5A, dst[9]);
        assertEquals(0x5A, dst[10 + data.length]);
        assertArrayEquals(data, java.util.Arrays.copyOfRange(dst, 10, 10 + data.length));
    }

    @Test
    void bulkWriteFromOffsetOfSourceArray() {
        byte[] src = pattern(FRAME_SIZE * 2, 9);
        long pa = 3L * FRAME_SIZE + 1000;
        mem.write(pa, src, 100, FRAME_SIZE);
        assertArrayEquals(java.util.Arrays.copyOfRange(src, 100, 100 + FRAME_SIZE), mem.read(pa, FRAME_SIZE));
        assertEquals(0, mem.load8(pa + FRAME_SIZE));
    }

    @Test
    void bulkReadMixesBackedAndUnbackedFrames() {
        long pa = 20L * FRAME_SIZE;
        mem.write(pa + FRAME_SIZE, pattern(FRAME_SIZE, 4)); // only the middle frame
        byte[] got = mem.read(pa, 3 * FRAME_SIZE);
        byte[] expect = new byte[3 * FRAME_SIZE];
        System.arraycopy(pattern(FRAME_SIZE, 4), 0, expect, FRAME_SIZE, FRAME_SIZE);
        assertArrayEquals(expect, got);
        // a read into a dirty array must overwrite the unbacked parts with zeros
        byte[] dirty = new byte[3 * FRAME_SIZE];
        java.util.Arrays.fill(dirty, (byte) -1);
        mem.read(pa, dirty, 0, dirty.length);
        assertArrayEquals(expect, dirty);
        assertEquals(1, mem.backedFrames());
    }

    @Test
    void copyAcrossFrames() {
        byte[] data = pattern(2 * FRAME_SIZE + 1234, 5);
        long src = 3L * FRAME_SIZE + 77;
        long dst = 40L * FRAME_SIZE + 3001;
        mem.write(src, data);
        mem.copy(src, dst, data.length);
        assertArrayEquals(data, mem.read(dst, data.length));
        assertArrayEquals(data, mem.read(src, data.length), "source unchanged");
        assertEquals(0, mem.load8(dst - 1));
        assertEquals(0, mem.load8(dst + data.length));
    }

    @Test
    void copyOfZerosOverwritesData() {
        long dst = 30L * FRAME_SIZE;
        mem.write(dst, pattern(FRAME_SIZE, 2));
        mem.copy(50L * FRAME_SIZE, dst + 10, 100); // copying from never-written memory
        assertEquals(0, mem.load8(dst + 10));
        assertEquals(0, mem.load8(dst + 109));
        assertEquals(pattern(FRAME_SIZE, 2)[110] & 0xff, mem.load8(dst + 110));
        assertEquals(pattern(FRAME_SIZE, 2)[9] & 0xff, mem.load8(dst + 9));
    }

    // ---- compareAndSet64 -----------------------------------------------------------------------------------

    @Test
    void compareAndSet64() {
        long pa = 8L * FRAME_SIZE + 64;
        assertTrue(mem.compareAndSet64(pa, 0, 0x1234), "never-written memory holds 0");
        assertEquals(0x1234, mem.load64(pa));
        assertFalse(mem.compareAndSet64(pa, 0, 0x5678));
        assertEquals(0x1234, mem.load64(pa));
        assertTrue(mem.compareAndSet64(pa, 0x1234, 0x1234 | (1L << 63)));
        assertEquals(0x1234 | (1L << 63), mem.load64(pa));
        assertEquals(0x80, mem.load8(pa + 7), "the value is stored little-endian");
    }

    @Test
    void compareAndSet64NeedsAlignmentAndMemory() {
        assertThrows(IllegalArgumentException.class, () -> mem.compareAndSet64(FRAME_SIZE + 4, 0, 1));
        assertThrows(BusError.class, () -> mem.compareAndSet64(mem.size(), 0, 1));
        assertThrows(BusError.class, () -> mem.compareAndSet64(-8, 0, 1));
        assertEquals(0, mem.load64(FRAME_SIZE));
    }

    @Test
    void failedCompareAndSetOnNeverWrittenFrameDoesNotBackIt() {
        assertFalse(mem.compareAndSet64(FRAME_SIZE, 1, 2));
        assertEquals(0, mem.backedFrames());
    }

    // ---- bus errors ----------------------------------------------------------------------------------------

    @Test
    void accessesOutsideMemoryRaiseBusError() {
        long size = mem.size();
        assertEquals(size, assertThrows(BusError.class, () -> mem.load8(size)).address());
        assertEquals(-1, assertThrows(BusError.class, () -> mem.load8(-1)).address());
        assertThrows(BusError.class, () -> mem.load16(size - 1));
        assertThrows(BusError.class, () -> mem.load32(size - 2));
        assertThrows(BusError.class, () -> mem.load64(size - 4));
        assertThrows(BusError.class, () -> mem.store8(size, 1));
        assertThrows(BusError.class, () -> mem.store16(size - 1, 1));
        assertThrows(BusError.class, () -> mem.store32(size - 3, 1));
        assertThrows(BusError.class, () -> mem.store64(size - 7, 1));
        assertThrows(BusError.class, () -> mem.store64(Long.MAX_VALUE, 1));
        assertThrows(BusError.class, () -> mem.read(size - 1, 2));
        assertThrows(BusError.class, () -> mem.write(size - 1, new byte[2]));
        assertThrows(BusError.class, () -> mem.zero(size - FRAME_SIZE, FRAME_SIZE + 1));
        assertThrows(BusError.class, () -> mem.discard(size - FRAME_SIZE, 2));
        assertThrows(BusError.class, () -> mem.copy(0, size - 10, 11));
        assertThrows(BusError.class, () -> mem.copy(size - 10, 0, 11));
        assertEquals(0, mem.backedFrames(), "a refused store stores nothing");
        assertEquals(0, mem.load8(size - 1), "the last byte of a refused crossing store is untouched");
    }

    @Test
    void lastBytesOfMemoryAreUsable() {
        long size = mem.size();
        mem.store64(size - 8, 0x0807060504030201L);
        assertEquals(8, mem.load8(size - 1));
        assertEquals(0x0807060504030201L, mem.load64(size - 8));
        assertArrayEquals(new byte[0], mem.read(size, 0));
    }

    @Test
    void containsChecksTheWholeRange() {
        long size = mem.size();
        assertTrue(mem.contains(0, size));
        assertTrue(mem.contains(size - 1, 1));
        assertTrue(mem.contains(size, 0));
        assertFalse(mem.contains(size, 1));
        assertFalse(mem.contains(-1, 1));
        assertFalse(mem.contains(0, -1));
        assertFalse(mem.contains(1, Long.MAX_VALUE));
        assertFalse(mem.contains(Long.MAX_VALUE, Long.MAX_VALUE));
    }
}
