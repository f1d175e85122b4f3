package dev.ioasid.machine;

import static dev.ioasid.machine.PhysicalMemory.FRAME_SHIFT;
import static dev.ioasid.machine.PhysicalMemory.FRAME_SIZE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;

class FrameAllocatorTest {
    private static final long MIB16 = 16L << 20;
    /** Frames a 16 MiB machine can hand out: everything above the reserved low 1 MiB. */
    private static final long USABLE_16M = (MIB16 - FrameAllocator.RESERVED_LOW_BYTES) >>> FRAME_SHIFT;

    private PhysicalMemory memory;
    private FrameAllocator frames;

    @BeforeEach
    void setUp() {
        memory = new PhysicalMemory(MIB16);
        frames = new FrameAllocator(memory);
    }

    @Test
    void initialState() {
        assertEquals(4096, frames.totalFrames());
        assertEquals(0, frames.framesInUse());
        assertEquals(memory, frames.memory());
        assertEquals(3840, USABLE_16M);
    }

    @Test
    void allocateReturnsAFrameAlignedAddressAboveTheReservedLowMegabyte() {
        long pa = frames.allocate();
        assertEquals(0, pa & (FRAME_SIZE - 1));
        assertTrue(pa >= FrameAllocator.RESERVED_LOW_BYTES);
        assertTrue(pa < memory.size());
        assertEquals(1, frames.framesInUse());
        assertTrue(frames.isAllocated(pa));
        frames.free(pa);
        assertEquals(0, frames.framesInUse());
        assertFalse(frames.isAllocated(pa));
    }

    @Test
    void lowMegabyteIsNeverHandedOut() {
        List<Long> all = new ArrayList<>();
        Set<Long> distinct = new HashSet<>();
        for (long i = 0; i < USABLE_16M; i++) {
            long pa = frames.allocate();
            assertTrue(pa >= FrameAllocator.RESERVED_LOW_BYTES, "frame 0x" + Long.toHexString(pa));
            assertTrue(distinct.add(pa), "handed out twice: 0x" + Long.toHexString(pa));
            all.add(pa);
        }
        assertEquals(USABLE_16M, frames.framesInUse());
        assertEquals(Errno.ENOMEM, assertThrows(IommuException.class, frames::allocate).errno());
        for (long pa = 0; pa < FrameAllocator.RESERVED_LOW_BYTES; pa += FRAME_SIZE) {
            assertFalse(frames.isAllocated(pa), "reserved frames are not allocated: 0x" + Long.toHexString(pa));
        }
        for (long pa : all) {
            frames.free(pa);
        }
        assertEquals(0, frames.framesInUse());
    }

    @Test
    void framesComeBackZeroed() {
        long pa = frames.allocate(3, 1);
        memory.write(pa, new byte[] { 1, 2, 3 });
        memory.store64(pa + 2 * FRAME_SIZE + 8, -1);
        frames.free(pa, 3);
        assertEquals(0, memory.backedFrames(), "free drops the contents");
        long again = frames.allocate(3, 1);
        assertEquals(pa, again, "first fit hands out the same run again");
        assertArrayEquals(new byte[3 * FRAME_SIZE], memory.read(again, 3 * FRAME_SIZE));
        frames.free(again, 3);
        assertEquals(0, frames.framesInUse());
    }

    @Test
    void contiguousRunsAreAligned() {
        long one = frames.allocate(); // unaligns the start of the free space
        for (long align : new long[] { 1, 2, 4, 16, 64, 512 }) {
            long pa = frames.allocate(align, align);
            assertEquals(0, (pa >>> FRAME_SHIFT) % align, "align " + align + " pa 0x" + Long.toHexString(pa));
            for (long f = 0; f < align; f++) {
                assertTrue(frames.isAllocated(pa + f * FRAME_SIZE));
            }
            frames.free(pa, align);
        }
        long odd = frames.allocate(3, 8);
        assertEquals(0, (odd >>> FRAME_SHIFT) % 8);
        assertEquals(4, frames.framesInUse());
        frames.free(odd, 3);
        frames.free(one);
        assertEquals(0, frames.framesInUse());
    }

    @Test
    void alignmentGapStaysAllocatable() {
        long one = frames.allocate(); // frame 256
        long big = frames.allocate(256, 256); // frames 512..767: 257..511 are left free
        assertEquals(512L << FRAME_SHIFT, big);
        long next = frames.allocate();
        assertEquals(257L << FRAME_SHIFT, next, "first fit uses the gap left by alignment");
        assertEquals(258, frames.framesInUse());
        frames.free(next);
        frames.free(big, 256);
        frames.free(one);
        assertEquals(0, frames.framesInUse());
        // everything coalesced again
        assertEquals(FrameAllocator.RESERVED_LOW_BYTES, frames.allocate(USABLE_16M, 1));
        frames.free(FrameAllocator.RESERVED_LOW_BYTES, USABLE_16M);
    }

    @Test
    void invalidArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> frames.allocate(0, 1));
        assertThrows(IllegalArgumentException.class, () -> frames.allocate(-1, 1));
        assertThrows(IllegalArgumentException.class, () -> frames.allocate(1, 0));
        assertThrows(IllegalArgumentException.class, () -> frames.allocate(1, 3));
        assertThrows(IllegalArgumentException.class, () -> frames.free(FrameAllocator.RESERVED_LOW_BYTES + 1, 1));
        assertThrows(IllegalArgumentException.class, () -> frames.free(FrameAllocator.RESERVED_LOW_BYTES, 0));
        assertEquals(0, frames.framesInUse());
    }

    @Test
    void framesInUseAccounting() {
        long a = frames.allocate(10, 1);
        long b = frames.allocate(5, 4);
        long c = frames.allocate();
        assertEquals(16, frames.framesInUse());
        frames.free(a + 2 * FRAME_SIZE, 3); // part of a run
        assertEquals(13, frames.framesInUse());
        assertFalse(frames.isAllocated(a + 3 * FRAME_SIZE));
        assertTrue(frames.isAllocated(a + FRAME_SIZE));
        assertTrue(frames.isAllocated(a + 5 * FRAME_SIZE));
        frames.free(a, 2);
        frames.free(a + 5 * FRAME_SIZE, 5);
        frames.free(b, 5);
        frames.free(c);
        assertEquals(0, frames.framesInUse());
    }

    @Test
    void freesCoalesceSoEverythingCanBeAllocatedAgain() {
        long[] pas = new long[(int) USABLE_16M];
        for (int i = 0; i < pas.length; i++) {
            pas[i] = frames.allocate();
        }
        // free in an order that makes every kind of neighbour: evens, then odds backwards
        for (int i = 0; i < pas.length; i += 2) {
            frames.free(pas[i]);
        }
        assertEquals(USABLE_16M / 2, frames.framesInUse());
        assertEquals(Errno.ENOMEM, assertThrows(IommuException.class, () -> frames.allocate(2, 1)).errno(),
                "only single frames are free");
        for (int i = pas.length - 1; i >= 1; i -= 2) {
            frames.free(pas[i]);
        }
        assertEquals(0, frames.framesInUse());
        long all = frames.allocate(USABLE_16M, 1);
        assertEquals(FrameAllocator.RESERVED_LOW_BYTES, all);
        assertEquals(USABLE_16M, frames.framesInUse());
        frames.free(all, USABLE_16M);
        assertEquals(0, frames.framesInUse());
    }

    @Test
    void coalescingWithBothNeighbours() {
        long a = frames.allocate(4, 1);
        long b = frames.allocate(4, 1);
        long c = frames.allocate(4, 1);
        long rest = frames.allocate(USABLE_16M - 12, 1);
        frames.free(a, 4);
        frames.free(c, 4);
        assertEquals(Errno.ENOMEM, assertThrows(IommuException.class, () -> frames.allocate(5, 1)).errno());
        frames.free(b, 4); // joins a and c
        assertEquals(a, frames.allocate(12, 1));
        frames.free(a, 12);
        frames.free(rest, USABLE_16M - 12);
        assertEquals(0, frames.framesInUse());
    }

    @Test
    void doubleFreeIsDetected() {
        long pa = frames.allocate();
        long keep = frames.allocate();
        frames.free(pa);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> frames.free(pa));
        assertTrue(e.getMessage().contains("double free"), e.getMessage());
        assertEquals(1, frames.framesInUse(), "a refused double free changes nothing");
        frames.free(keep);
        assertEquals(0, frames.framesInUse());
    }

    @Test
    void overlappingFreeIsDetected() {
        long run = frames.allocate(4, 1);
        long after = frames.allocate(4, 1);
        frames.free(run + 2 * FRAME_SIZE, 1);
        assertThrows(IllegalStateException.class, () -> frames.free(run, 4), "run overlaps a free frame");
        assertThrows(IllegalStateException.class, () -> frames.free(run + 2 * FRAME_SIZE, 2));
        assertEquals(7, frames.framesInUse());
        assertTrue(frames.isAllocated(run));
        assertTrue(frames.isAllocated(run + 3 * FRAME_SIZE));
        // freeing the tail of the run plus a free frame that lies past the end of every allocation
        long last = after + 3 * FRAME_SIZE;
        frames.free(after, 4);
        assertThrows(IllegalStateException.class, () -> frames.free(last, 1));
        frames.free(run, 2);
        frames.free(run + 3 * FRAME_SIZE, 1);
        assertEquals(0, frames.framesInUse());
    }

    @Test
    void freeOfReservedFrameIsRejected() {
        assertThrows(RuntimeException.class, () -> frames.free(0));
        assertEquals(0, frames.framesInUse());
        long all = frames.allocate(USABLE_16M, 1);
        assertEquals(FrameAllocator.RESERVED_LOW_BYTES, all);
        assertEquals(Errno.ENOMEM, assertThrows(IommuException.class, frames::allocate).errno(),
                "the low 1 MiB must never be handed out");
        frames.free(all, USABLE_16M);
    }

    @Test
    void exhaustionIsEnomem() {
        long most = frames.allocate(USABLE_16M - 1, 1);
        IommuException big = assertThrows(IommuException.class, () -> frames.allocate(2, 1));
        assertEquals(Errno.ENOMEM, big.errno());
        long last = frames.allocate();
        assertEquals(USABLE_16M, frames.framesInUse());
        assertEquals(Errno.ENOMEM, assertThrows(IommuException.class, frames::allocate).errno());
        assertEquals(USABLE_16M, frames.framesInUse(), "a failed allocation allocates nothing");
        frames.free(last);
        frames.free(most, USABLE_16M - 1);
        assertEquals(0, frames.framesInUse());
    }

    @Test
    void runLargerThanMemoryIsEnomem() {
        assertEquals(Errno.ENOMEM, assertThrows(IommuException.class, () -> frames.allocate(USABLE_16M + 1, 1)).errno());
        // the whole usable space is free but not aligned to 4096 frames
        assertEquals(Errno.ENOMEM, assertThrows(IommuException.class, () -> frames.allocate(2048, 4096)).errno());
        assertEquals(0, frames.framesInUse());
    }

    @Test
    void failNthInjectsOneEnomem() {
        assertFalse(frames.failNth(3));
        long a = frames.allocate();
        long b = frames.allocate();
        IommuException e = assertThrows(IommuException.class, frames::allocate);
        assertEquals(Errno.ENOMEM, e.errno());
        assertEquals(2, frames.framesInUse());
        long c = frames.allocate(); // fires once only
        assertFalse(frames.failNth(0), "the injection has fired");
        frames.free(a);
        frames.free(b);
        frames.free(c);
        assertEquals(0, frames.framesInUse());
    }

    @Test
    void failNthOneFailsTheNextAllocationAndZeroTurnsItOff() {
        assertFalse(frames.failNth(1));
        assertEquals(Errno.ENOMEM, assertThrows(IommuException.class, () -> frames.allocate(4, 4)).errno());
        assertEquals(0, frames.framesInUse());

        assertFalse(frames.failNth(2));
        assertTrue(frames.failNth(0), "an unfired injection is reported when it is replaced");
        long a = frames.allocate();
        long b = frames.allocate();
        assertNotEquals(a, b);
        assertFalse(frames.failNth(-5), "negative is off");
        long c = frames.allocate();
        frames.free(a);
        frames.free(b);
        frames.free(c);
        assertEquals(0, frames.framesInUse());
    }

    @Test
    void isAllocatedOutsideMemoryIsFalse() {
        assertFalse(frames.isAllocated(0));
        assertFalse(frames.isAllocated(memory.size()));
        assertFalse(frames.isAllocated(memory.size() + (1L << 30)));
        assertFalse(frames.isAllocated(FrameAllocator.RESERVED_LOW_BYTES));
        long pa = frames.allocate();
        assertTrue(frames.isAllocated(pa + 123), "any byte of an allocated frame");
        frames.free(pa);
    }
}
