package dev.ioasid.machine;

import static dev.ioasid.api.UserMemory.PAGE_SIZE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.MemFile;
import dev.ioasid.api.UserMemory;

/** User address spaces, files, pins and the frames behind them. */
class UserAddressSpaceTest {
    private Machine machine;
    private FrameAllocator frames;
    private PhysicalMemory memory;
    private UserAddressSpace space;
    private long baseline;
    private final List<UserAddressSpace> spaces = new ArrayList<>();

    private static Machine machine(long bytes) {
        return new Machine(new MachineDescription(bytes, List.of(), List.of()));
    }

    @BeforeEach
    void setUp() {
        machine = machine(64L << 20);
        frames = machine.frames();
        memory = machine.memory();
        baseline = frames.framesInUse();
        space = newSpace("test");
    }

    private UserAddressSpace newSpace(String name) {
        UserAddressSpace s = machine.newAddressSpace(name);
        spaces.add(s);
        return s;
    }

    /** Safety net: every test cleans up itself and asserts it; this catches the ones that forget. */
    @AfterEach
    void nothingLeaks() {
        for (UserAddressSpace s : spaces) {
            s.close();
        }
        assertEquals(baseline, frames.framesInUse(), "frames in use after the test");
        assertEquals(0, machine.pins().total(), "pins left after the test");
        assertEquals(0, machine.pins().releasedFrames());
    }

    private void assertBaseline() {
        assertEquals(baseline, frames.framesInUse(), "frames in use are back to the baseline");
    }

    private static void assertErrno(Errno errno, Executable call) {
        IommuException e = assertThrows(IommuException.class, call);
        assertEquals(errno, e.errno(), e.getMessage());
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 7 + seed + (i >>> 9));
        }
        return b;
    }

    // ---- mmap, read, write -------------------------------------------------------------------------------------

    @Test
    void mmapIsPageAlignedZeroedAndTakesFrames() {
        long va = space.mmap(100);
        assertEquals(UserAddressSpace.FIRST_VA, va);
        assertEquals(0, va % PAGE_SIZE);
        assertEquals(baseline + 1, frames.framesInUse(), "100 bytes round up to one page");
        assertArrayEquals(new byte[PAGE_SIZE], space.read(va, PAGE_SIZE), "the whole page is mapped and zero");
        assertEquals(List.of(new UserMemory.Region(va, PAGE_SIZE, null, 0)), space.regions());
        space.munmap(va, 100);
        assertTrue(space.regions().isEmpty());
        assertBaseline();
    }

    @Test
    void mmapGetsNaturalAlignment() {
        long small = space.mmap(PAGE_SIZE);
        long two = space.mmap(2 * PAGE_SIZE);
        long three = space.mmap(3 * PAGE_SIZE);
        long mb2 = space.mmap(2L << 20);
        long mb1 = space.mmap(1L << 20);
        assertEquals(0, two % (2 * PAGE_SIZE));
        assertEquals(0, three % (2 * PAGE_SIZE), "3 pages align to the largest power of two below");
        assertEquals(0, mb2 % (2L << 20));
        assertEquals(0, mb1 % (1L << 20));
        long[] vas = { small, two, three, mb2, mb1 };
        for (int i = 1; i < vas.length; i++) {
            assertTrue(vas[i] > vas[i - 1], "addresses grow upwards");
        }
        // large mappings are physically contiguous and aligned, so huge pages can back them
        long pa = space.physical(mb2);
        assertEquals(0, pa % (2L << 20));
        assertEquals(pa + (1L << 20) + 5, space.physical(mb2 + (1L << 20) + 5));
        space.close();
        assertBaseline();
    }

    @Test
    void oneGigabyteMappingIsGigabyteAligned() {
        Machine big = machine(4L << 30);
        UserAddressSpace s = big.newAddressSpace("big");
        long va = s.mmap(1L << 30);
        assertEquals(0, va % (1L << 30));
        assertEquals(0, s.physical(va) % (1L << 30));
        assertEquals(1L << 18, big.frames().framesInUse());
        assertEquals(0, big.memory().backedFrames(), "mapping does not touch memory");
        s.write(va + (1L << 29), new byte[] { 1 });
        assertEquals(1, big.memory().backedFrames());
        s.close();
        assertEquals(0, big.frames().framesInUse());
        assertEquals(0, big.memory().backedFrames(), "freed frames drop their contents");
    }

    @Test
    void mmapRejectsBadLengths() {
        assertErrno(Errno.EINVAL, () -> space.mmap(0));
        assertErrno(Errno.EINVAL, () -> space.mmap(-PAGE_SIZE));
        assertTrue(space.regions().isEmpty());
        assertBaseline();
    }

    @Test
    void mmapOfMoreThanMemoryIsEnomemAndLeaksNothing() {
        assertErrno(Errno.ENOMEM, () -> space.mmap(64L << 20));
        assertTrue(space.regions().isEmpty());
        assertBaseline();
        long va = space.mmap(PAGE_SIZE);
        assertEquals(UserAddressSpace.FIRST_VA, va);
        space.munmap(va, PAGE_SIZE);
        assertBaseline();
    }

    @Test
    void mmapWithInjectedFailureLeaksNothing() {
        frames.failNth(1);
        assertErrno(Errno.ENOMEM, () -> space.mmap(PAGE_SIZE));
        assertTrue(space.regions().isEmpty());
        assertBaseline();
    }

    @Test
    void readWriteRoundTripAcrossPages() {
        long va = space.mmap(4 * PAGE_SIZE);
        byte[] data = pattern(2 * PAGE_SIZE + 300, 3);
        space.write(va + PAGE_SIZE - 150, data);
        assertArrayEquals(data, space.read(va + PAGE_SIZE - 150, data.length));
        assertEquals(0, space.read(va + PAGE_SIZE - 151, 1)[0]);
        // the bytes are in the frames physical() names
        for (int i = 0; i < data.length; i += 511) {
            long pa = space.physical(va + PAGE_SIZE - 150 + i);
            assertEquals(data[i] & 0xff, memory.load8(pa));
        }
        space.munmap(va, 4 * PAGE_SIZE);
        assertBaseline();
    }

    @Test
    void readAndWriteAcrossAdjacentMappings() {
        long a = space.mmap(PAGE_SIZE);
        long b = space.mmap(PAGE_SIZE);
        assertEquals(a + PAGE_SIZE, b);
        byte[] data = pattern(200, 9);
        space.write(b - 100, data);
        assertArrayEquals(data, space.read(b - 100, 200));
        assertArrayEquals(Arrays.copyOfRange(data, 100, 200), space.read(b, 100));
        space.close();
        assertBaseline();
    }

    @Test
    void unmappedAddressesAreEfault() {
        byte[] one = new byte[1];
        assertErrno(Errno.EFAULT, () -> space.read(0, one));
        assertErrno(Errno.EFAULT, () -> space.write(UserAddressSpace.FIRST_VA, one));
        assertErrno(Errno.EFAULT, () -> space.pinCount(UserAddressSpace.FIRST_VA));
        assertErrno(Errno.EFAULT, () -> space.physical(UserAddressSpace.FIRST_VA));
        assertErrno(Errno.EFAULT, () -> space.pin(UserAddressSpace.FIRST_VA, PAGE_SIZE));
        long va = space.mmap(PAGE_SIZE);
        assertErrno(Errno.EFAULT, () -> space.read(va + PAGE_SIZE, one));
        assertErrno(Errno.EFAULT, () -> space.read(va - 1, one));
        assertErrno(Errno.EFAULT, () -> space.read(va, new byte[PAGE_SIZE + 1]));
        assertErrno(Errno.EFAULT, () -> space.read(Long.MAX_VALUE - 2, new byte[8]));
        space.munmap(va, PAGE_SIZE);
        assertErrno(Errno.EFAULT, () -> space.read(va, one));
        assertBaseline();
    }

    @Test
    void accessRunningIntoAHoleIsEfaultAndWritesNothing() {
        long va = space.mmap(3 * PAGE_SIZE);
        space.munmap(va + PAGE_SIZE, PAGE_SIZE); // a hole in the middle
        byte[] data = pattern(200, 1);
        assertErrno(Errno.EFAULT, () -> space.write(va + PAGE_SIZE - 100, data));
        assertArrayEquals(new byte[PAGE_SIZE], space.read(va, PAGE_SIZE), "no partial write before the hole");
        assertErrno(Errno.EFAULT, () -> space.read(va + PAGE_SIZE - 100, new byte[200]));
        assertErrno(Errno.EFAULT, () -> space.write(va, new byte[3 * PAGE_SIZE]));
        assertArrayEquals(new byte[PAGE_SIZE], space.read(va + 2 * PAGE_SIZE, PAGE_SIZE), "nor after it");
        assertErrno(Errno.EFAULT, () -> space.pin(va, 3 * PAGE_SIZE));
        assertEquals(0, space.pinnedPages(), "a refused pin pins nothing");
        assertEquals(0, space.pinCount(va));
        space.close();
        assertBaseline();
    }

    // ---- munmap ----------------------------------------------------------------------------------------------

    @Test
    void munmapOfPartOfAMappingSplitsIt() {
        long va = space.mmap(4 * PAGE_SIZE);
        byte[] data = pattern(4 * PAGE_SIZE, 5);
        space.write(va, data);
        long pa3 = space.physical(va + 3 * PAGE_SIZE);

        space.munmap(va + PAGE_SIZE, 2 * PAGE_SIZE - 10); // rounds up to 2 pages
        List<UserMemory.Region> regions = space.regions();
        assertEquals(2, regions.size());
        assertEquals(va, regions.get(0).va());
        assertEquals(PAGE_SIZE, regions.get(0).length());
        assertEquals(va + 3 * PAGE_SIZE, regions.get(1).va());
        assertEquals(PAGE_SIZE, regions.get(1).length());
        assertNull(regions.get(1).file(), "anonymous");
        assertArrayEquals(Arrays.copyOfRange(data, 0, PAGE_SIZE), space.read(va, PAGE_SIZE));
        assertArrayEquals(Arrays.copyOfRange(data, 3 * PAGE_SIZE, 4 * PAGE_SIZE), space.read(va + 3 * PAGE_SIZE, PAGE_SIZE));
        assertEquals(pa3, space.physical(va + 3 * PAGE_SIZE), "the tail still maps the same frame");
        assertErrno(Errno.EFAULT, () -> space.read(va + PAGE_SIZE, 1));
        assertErrno(Errno.EFAULT, () -> space.read(va + 3 * PAGE_SIZE - 1, 1));

        space.munmap(va, PAGE_SIZE);
        assertEquals(1, space.regions().size());
        space.munmap(va + 3 * PAGE_SIZE, PAGE_SIZE);
        assertTrue(space.regions().isEmpty());
        assertBaseline();
    }

    @Test
    void munmapSpanningSeveralMappingsAndHoles() {
        long a = space.mmap(PAGE_SIZE);
        long b = space.mmap(2 * PAGE_SIZE);
        long c = space.mmap(PAGE_SIZE);
        space.munmap(a, c + PAGE_SIZE - a);
        assertTrue(space.regions().isEmpty());
        assertBaseline();
        space.munmap(a, PAGE_SIZE); // nothing mapped: no error, as on Linux
        assertEquals(0, b % (2 * PAGE_SIZE));
        assertBaseline();
    }

    @Test
    void munmapRejectsBadArguments() {
        long va = space.mmap(PAGE_SIZE);
        assertErrno(Errno.EINVAL, () -> space.munmap(va + 1, PAGE_SIZE));
        assertErrno(Errno.EINVAL, () -> space.munmap(va, 0));
        assertEquals(1, space.regions().size());
        space.munmap(va, PAGE_SIZE);
        assertBaseline();
    }

    @Test
    void munmapOfPartOfAnAnonymousMappingFreesThosePages() {
        long va = space.mmap(4 * PAGE_SIZE);
        space.munmap(va + PAGE_SIZE, 2 * PAGE_SIZE);
        assertEquals(baseline + 2, frames.framesInUse(), "the two unmapped pages are unreachable and must be freed");
        space.close();
        assertBaseline();
    }

    // ---- pins --------------------------------------------------------------------------------------------------

    @Test
    void pinCountsAndPinnedPages() {
        long va = space.mmap(4 * PAGE_SIZE);
        PinnedPages p1 = space.pin(va + 100, PAGE_SIZE); // touches pages 0 and 1
        assertEquals(2, p1.frames());
        assertEquals(PAGE_SIZE, p1.length());
        assertEquals(2, space.pinnedPages());
        assertEquals(1, space.pinCount(va));
        assertEquals(1, space.pinCount(va + PAGE_SIZE + 99));
        assertEquals(0, space.pinCount(va + 2 * PAGE_SIZE));

        PinnedPages p2 = space.pin(va + PAGE_SIZE, 3 * PAGE_SIZE);
        assertEquals(5, space.pinnedPages());
        assertEquals(1, space.pinCount(va));
        assertEquals(2, space.pinCount(va + PAGE_SIZE));
        assertEquals(1, space.pinCount(va + 3 * PAGE_SIZE));
        assertEquals(5, machine.pins().total());
        assertEquals(2, machine.pins().count(space.physical(va + PAGE_SIZE) >>> PhysicalMemory.FRAME_SHIFT));

        p1.release();
        assertTrue(p1.isReleased());
        assertEquals(3, space.pinnedPages());
        assertEquals(0, space.pinCount(va));
        assertEquals(1, space.pinCount(va + PAGE_SIZE));
        p1.release(); // idempotent
        assertEquals(3, space.pinnedPages());

        p2.release();
        assertEquals(0, space.pinnedPages());
        assertEquals(0, machine.pins().total());
        assertEquals(baseline + 4, frames.framesInUse(), "unpinning does not free mapped pages");
        space.munmap(va, 4 * PAGE_SIZE);
        assertBaseline();
    }

    @Test
    void pinRejectsBadArguments() {
        long va = space.mmap(PAGE_SIZE);
        assertErrno(Errno.EINVAL, () -> space.pin(va, 0));
        assertErrno(Errno.EINVAL, () -> space.pin(va, -1));
        assertErrno(Errno.EFAULT, () -> space.pin(va, PAGE_SIZE + 1));
        assertErrno(Errno.EFAULT, () -> space.pin(Long.MAX_VALUE - 10, 100));
        assertEquals(0, space.pinnedPages());
        space.munmap(va, PAGE_SIZE);
        assertBaseline();
    }

    @Test
    void pinsKeepFramesAliveAfterMunmap() {
        long va = space.mmap(4 * PAGE_SIZE);
        byte[] data = pattern(4 * PAGE_SIZE, 11);
        space.write(va, data);
        PinnedPages pinned = space.pin(va + PAGE_SIZE, 2 * PAGE_SIZE);
        long pa = pinned.physical(0);
        assertEquals(space.physical(va + PAGE_SIZE), pa);

        space.munmap(va, 4 * PAGE_SIZE);
        assertTrue(space.regions().isEmpty());
        assertEquals(baseline + 2, frames.framesInUse(), "the unpinned pages are freed, the pinned ones stay");
        assertEquals(2, machine.pins().releasedFrames());
        assertEquals(2, space.pinnedPages());
        assertTrue(frames.isAllocated(pa));
        assertArrayEquals(Arrays.copyOfRange(data, PAGE_SIZE, 3 * PAGE_SIZE), memory.read(pa, 2 * PAGE_SIZE),
                "a pinner still sees the data");

        pinned.release();
        assertEquals(0, space.pinnedPages());
        assertEquals(0, machine.pins().releasedFrames());
        assertFalse(frames.isAllocated(pa));
        assertBaseline();
    }

    @Test
    void twoPinsOfAnUnmappedPageFreeItAtTheLastRelease() {
        long va = space.mmap(PAGE_SIZE);
        PinnedPages a = space.pin(va, PAGE_SIZE);
        PinnedPages b = space.pin(va, 10);
        space.munmap(va, PAGE_SIZE);
        assertEquals(baseline + 1, frames.framesInUse());
        a.release();
        assertEquals(baseline + 1, frames.framesInUse(), "still held by the second pin");
        b.release();
        assertBaseline();
    }

    @Test
    void pinnedPagesPhysicalAndContiguous() {
        long va = space.mmap(4 * PAGE_SIZE);
        long base = space.physical(va);
        PinnedPages p = space.pin(va + 100, 4 * PAGE_SIZE - 100);
        assertEquals(4, p.frames());
        assertEquals(base + 100, p.physical(0));
        assertEquals(base + 2 * PAGE_SIZE + 5, p.physical(2 * PAGE_SIZE - 95));
        assertEquals(4 * PAGE_SIZE - 100, p.contiguous(0), "one run");
        assertEquals(PAGE_SIZE, p.contiguous(3 * PAGE_SIZE - 100));
        assertEquals(1, p.contiguous(4 * PAGE_SIZE - 101));
        assertThrows(IndexOutOfBoundsException.class, () -> p.physical(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> p.physical(p.length()));
        p.release();
        space.close();
        assertBaseline();
    }

    @Test
    void pinnedPagesAcrossPhysicallySeparateMappings() {
        long a = space.mmap(PAGE_SIZE);
        long gap = frames.allocate(); // keeps the next mapping's frame away from a's
        long b = space.mmap(2 * PAGE_SIZE);
        long c = space.mmap(PAGE_SIZE);
        assertEquals(a + 2 * PAGE_SIZE, b, "b is 2-page aligned");
        long hole = a + PAGE_SIZE;
        assertErrno(Errno.EFAULT, () -> space.read(hole, 1));

        PinnedPages p = space.pin(b, 3 * PAGE_SIZE);
        assertEquals(space.physical(b), p.physical(0));
        assertEquals(space.physical(b + PAGE_SIZE + 7), p.physical(PAGE_SIZE + 7));
        assertEquals(space.physical(c + 9), p.physical(2 * PAGE_SIZE + 9));
        assertEquals(space.physical(b) + 2 * PAGE_SIZE, space.physical(c), "first fit puts c right after b");
        assertEquals(3L * PAGE_SIZE, p.contiguous(0), "runs of physically adjacent mappings merge");
        assertEquals(PAGE_SIZE, p.contiguous(2 * PAGE_SIZE));

        PinnedPages q = space.pin(a, PAGE_SIZE);
        assertEquals(space.physical(a), q.physical(0));
        assertEquals(PAGE_SIZE, q.contiguous(0));
        assertNotEquals(space.physical(a) + PAGE_SIZE, space.physical(b), "the gap frame separates them");

        p.release();
        q.release();
        frames.free(gap);
        space.close();
        assertBaseline();
    }

    @Test
    void pinnedPagesRunsAreSplitWhereFramesAreNotContiguous() {
        long a = space.mmap(PAGE_SIZE);
        long gap = frames.allocate();
        long b = space.mmap(PAGE_SIZE);
        assertEquals(a + PAGE_SIZE, b, "virtually adjacent");
        assertEquals(space.physical(a) + 2 * PAGE_SIZE, space.physical(b), "physically apart");
        PinnedPages p = space.pin(a + 10, 2 * PAGE_SIZE - 20);
        assertEquals(2, p.frames());
        assertEquals(PAGE_SIZE - 10, p.contiguous(0));
        assertEquals(PAGE_SIZE - 10, p.contiguous(PAGE_SIZE - 10), "to the end of the range");
        assertEquals(space.physical(b), p.physical(PAGE_SIZE - 10));
        assertEquals(space.physical(b) + PAGE_SIZE - 11, p.physical(p.length() - 1));
        p.release();
        frames.free(gap);
        space.close();
        assertBaseline();
    }

    @Test
    void sliceIsAPinOfItsOwn() {
        long va = space.mmap(4 * PAGE_SIZE);
        PinnedPages p = space.pin(va, 4 * PAGE_SIZE);
        PinnedPages s = p.slice(PAGE_SIZE + 10, PAGE_SIZE);
        assertEquals(PAGE_SIZE, s.length());
        assertEquals(2, s.frames());
        assertEquals(p.physical(PAGE_SIZE + 10), s.physical(0));
        assertEquals(p.physical(2 * PAGE_SIZE + 9), s.physical(PAGE_SIZE - 1));
        assertEquals(PAGE_SIZE, s.contiguous(0));
        assertEquals(6, space.pinnedPages());
        assertEquals(2, space.pinCount(va + PAGE_SIZE));
        assertEquals(1, space.pinCount(va));

        assertThrows(IndexOutOfBoundsException.class, () -> p.slice(-1, 10));
        assertThrows(IndexOutOfBoundsException.class, () -> p.slice(0, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> p.slice(1, 4 * PAGE_SIZE));

        p.release();
        assertThrows(IllegalStateException.class, () -> p.slice(0, 1));
        space.munmap(va, 4 * PAGE_SIZE);
        assertEquals(baseline + 2, frames.framesInUse(), "the slice outlives its parent and the mapping");
        assertEquals(2, space.pinnedPages());
        s.release();
        assertEquals(0, space.pinnedPages());
        assertBaseline();
    }

    @Test
    void sliceOfPinAcrossSeparateRuns() {
        long a = space.mmap(PAGE_SIZE);
        long gap = frames.allocate();
        long b = space.mmap(PAGE_SIZE);
        PinnedPages p = space.pin(a, 2 * PAGE_SIZE);
        PinnedPages s = p.slice(PAGE_SIZE - 1, 2);
        assertEquals(2, s.frames());
        assertEquals(space.physical(a + PAGE_SIZE - 1), s.physical(0));
        assertEquals(space.physical(b), s.physical(1));
        assertEquals(1, s.contiguous(0));
        s.release();
        p.release();
        frames.free(gap);
        space.close();
        assertBaseline();
    }

    // ---- close -------------------------------------------------------------------------------------------------

    @Test
    void closeFreesEveryUnpinnedFrame() {
        long a = space.mmap(3 * PAGE_SIZE);
        long b = space.mmap(PAGE_SIZE);
        MemFile f = space.createFile("f", 2 * PAGE_SIZE);
        space.mmap(f, 0, 2 * PAGE_SIZE);
        PinnedPages p = space.pin(a + PAGE_SIZE, PAGE_SIZE);
        assertEquals(baseline + 6, frames.framesInUse());

        space.close();
        assertTrue(space.isClosed());
        assertFalse(f.isOpen(), "close closes the files");
        assertEquals(baseline + 1, frames.framesInUse(), "only the pinned frame stays");
        assertEquals(1, space.pinnedPages(), "pins outlive the space");
        assertErrno(Errno.EFAULT, () -> space.read(b, 1));
        assertErrno(Errno.EFAULT, () -> space.mmap(PAGE_SIZE));
        assertErrno(Errno.EFAULT, () -> space.pinCount(a));
        assertErrno(Errno.EFAULT, () -> space.createFile("g", 1));
        space.close(); // idempotent

        p.release();
        assertEquals(0, space.pinnedPages());
        assertBaseline();
    }

    @Test
    void spacesAreIndependent() {
        UserAddressSpace other = newSpace("other");
        long va1 = space.mmap(PAGE_SIZE);
        long va2 = other.mmap(PAGE_SIZE);
        assertEquals(va1, va2, "both start at FIRST_VA");
        assertNotEquals(space.physical(va1), other.physical(va2));
        space.write(va1, new byte[] { 42 });
        assertEquals(0, other.read(va2, 1)[0]);
        assertEquals("other", other.name());
        MemFile f = space.createFile("f", 10);
        assertErrno(Errno.EBADF, () -> other.mmap(f, 0, PAGE_SIZE));
        assertErrno(Errno.EBADF, () -> other.pin(f, 0, 10));
        other.close();
        space.close();
        assertBaseline();
    }

    // ---- files -------------------------------------------------------------------------------------------------

    @Test
    void fileReadWriteAndMapping() {
        MemFile f = space.createFile("data", 3 * PAGE_SIZE);
        assertEquals("data", f.name());
        assertEquals(3 * PAGE_SIZE, f.size());
        assertTrue(f.isOpen());
        assertEquals(baseline + 3, frames.framesInUse());
        byte[] data = pattern(PAGE_SIZE + 50, 2);
        f.write(PAGE_SIZE - 25, data);
        byte[] back = new byte[data.length];
        f.read(PAGE_SIZE - 25, back);
        assertArrayEquals(data, back);

        long va = space.mmap(f, PAGE_SIZE, 2 * PAGE_SIZE);
        assertEquals(List.of(new UserMemory.Region(va, 2 * PAGE_SIZE, "data", PAGE_SIZE)), space.regions());
        assertArrayEquals(Arrays.copyOfRange(data, 25, 25 + PAGE_SIZE), space.read(va, PAGE_SIZE));
        space.write(va + PAGE_SIZE + 100, new byte[] { 7 }); // shared: the file sees it
        byte[] one = new byte[1];
        f.read(2 * PAGE_SIZE + 100, one);
        assertEquals(7, one[0]);
        assertEquals(baseline + 3, frames.framesInUse(), "mapping a file takes no frames");

        f.close();
        assertFalse(f.isOpen());
        assertEquals(baseline + 3, frames.framesInUse(), "the mapping keeps the pages");
        assertEquals(7, space.read(va + PAGE_SIZE + 100, 1)[0]);
        space.munmap(va, 2 * PAGE_SIZE);
        assertBaseline();
    }

    @Test
    void fileOfZeroBytesAndCloseWithoutMappings() {
        MemFile empty = space.createFile("empty", 0);
        assertEquals(0, empty.size());
        assertEquals(baseline, frames.framesInUse());
        empty.read(0, new byte[0]);
        assertErrno(Errno.EINVAL, () -> empty.read(0, new byte[1]));
        empty.close();
        MemFile f = space.createFile("f", 5);
        assertEquals(baseline + 1, frames.framesInUse());
        f.close();
        f.close(); // idempotent
        assertBaseline();
        assertErrno(Errno.EINVAL, () -> space.createFile("neg", -1));
    }

    @Test
    void fileAccessPastTheEndIsEinval() {
        MemFile f = space.createFile("f", 100);
        assertErrno(Errno.EINVAL, () -> f.read(90, new byte[11]));
        assertErrno(Errno.EINVAL, () -> f.write(101, new byte[0]));
        assertErrno(Errno.EINVAL, () -> f.write(-1, new byte[1]));
        f.write(90, new byte[10]);
        assertErrno(Errno.EINVAL, () -> f.truncate(-1));
        f.close();
        assertBaseline();
    }

    @Test
    void fileMmapArguments() {
        MemFile f = space.createFile("f", 2 * PAGE_SIZE + 1); // 3 pages
        assertErrno(Errno.EINVAL, () -> space.mmap(f, 1, PAGE_SIZE));
        assertErrno(Errno.EINVAL, () -> space.mmap(f, -PAGE_SIZE, PAGE_SIZE));
        assertErrno(Errno.EINVAL, () -> space.mmap(f, 0, 0));
        assertErrno(Errno.EINVAL, () -> space.mmap(f, PAGE_SIZE, 3 * PAGE_SIZE));
        long va = space.mmap(f, 0, 3 * PAGE_SIZE); // the last, partial page can be mapped whole
        assertEquals(3 * PAGE_SIZE, space.regions().get(0).length());
        space.munmap(va, 3 * PAGE_SIZE);
        f.close();
        assertErrno(Errno.EBADF, () -> space.mmap(f, 0, PAGE_SIZE));
        assertBaseline();
    }

    @Test
    void closedFileIsEbadf() {
        MemFile f = space.createFile("f", PAGE_SIZE);
        f.close();
        assertErrno(Errno.EBADF, () -> f.read(0, new byte[1]));
        assertErrno(Errno.EBADF, () -> f.write(0, new byte[1]));
        assertErrno(Errno.EBADF, () -> f.truncate(0));
        assertErrno(Errno.EBADF, () -> space.pin(f, 0, 1));
        assertErrno(Errno.EBADF, () -> ((MemFileImpl) f).pin(0, 1));
        assertBaseline();
    }

    @Test
    void pinOfAFilePastItsEndIsEinval() {
        MemFile f = space.createFile("f", 2 * PAGE_SIZE);
        assertErrno(Errno.EINVAL, () -> space.pin(f, PAGE_SIZE, PAGE_SIZE + 1));
        assertErrno(Errno.EINVAL, () -> space.pin(f, 2 * PAGE_SIZE + 1, 1));
        assertErrno(Errno.EINVAL, () -> space.pin(f, 0, 0));
        assertErrno(Errno.EINVAL, () -> space.pin(f, -1, 1));
        assertEquals(0, space.pinnedPages());
        PinnedPages p = space.pin(f, PAGE_SIZE, PAGE_SIZE);
        assertEquals(1, space.pinnedPages());
        p.release();
        f.close();
        assertBaseline();
    }

    @Test
    void filePinsSeeTheFileAndShareFramesWithMappings() {
        MemFile f = space.createFile("f", 2 * PAGE_SIZE);
        long va = space.mmap(f, 0, 2 * PAGE_SIZE);
        PinnedPages p = space.pin(f, 10, PAGE_SIZE);
        assertEquals(space.physical(va + 10), p.physical(0));
        assertEquals(1, space.pinCount(va));
        assertEquals(1, space.pinCount(va + PAGE_SIZE));
        PinnedPages q = space.pin(va, 1);
        assertEquals(2, space.pinCount(va));
        f.write(10, new byte[] { 99 });
        assertEquals(99, memory.load8(p.physical(0)));
        p.release();
        q.release();
        space.munmap(va, 2 * PAGE_SIZE);
        f.close();
        assertBaseline();
    }

    @Test
    void truncateShrinkWithPinnedPagesFreesThemAtUnpin() {
        MemFile f = space.createFile("f", 4 * PAGE_SIZE);
        byte[] data = pattern(4 * PAGE_SIZE, 4);
        f.write(0, data);
        PinnedPages p = space.pin(f, 2 * PAGE_SIZE, 2 * PAGE_SIZE);
        long pa = p.physical(0);
        assertEquals(baseline + 4, frames.framesInUse());

        f.truncate(PAGE_SIZE);
        assertEquals(PAGE_SIZE, f.size());
        assertEquals(baseline + 3, frames.framesInUse(), "page 1 is freed, pages 2 and 3 are pinned");
        assertEquals(2, machine.pins().releasedFrames());
        assertArrayEquals(Arrays.copyOfRange(data, 2 * PAGE_SIZE, 4 * PAGE_SIZE), memory.read(pa, 2 * PAGE_SIZE),
                "the pinner keeps the old data");
        assertErrno(Errno.EINVAL, () -> f.read(PAGE_SIZE, new byte[1]));
        assertErrno(Errno.EINVAL, () -> space.pin(f, PAGE_SIZE, 1));

        p.release();
        assertEquals(baseline + 1, frames.framesInUse());
        assertEquals(0, machine.pins().releasedFrames());
        assertFalse(frames.isAllocated(pa));
        f.close();
        assertBaseline();
    }

    @Test
    void truncateToZeroAndCloseWithPins() {
        MemFile f = space.createFile("f", 2 * PAGE_SIZE);
        PinnedPages p = space.pin(f, 0, 2 * PAGE_SIZE);
        f.truncate(0);
        assertEquals(0, f.size());
        assertEquals(baseline + 2, frames.framesInUse());
        f.close();
        assertEquals(baseline + 2, frames.framesInUse());
        p.release();
        assertBaseline();
    }

    @Test
    void closeOfAPinnedFileKeepsFramesUntilUnpin() {
        MemFile f = space.createFile("f", 3 * PAGE_SIZE);
        PinnedPages p = space.pin(f, PAGE_SIZE, 1);
        f.close();
        assertEquals(baseline + 1, frames.framesInUse());
        p.release();
        assertBaseline();
    }

    @Test
    void truncateShrinkZeroesTheTailOfTheLastPage() {
        MemFile f = space.createFile("f", 2 * PAGE_SIZE);
        byte[] ones = new byte[2 * PAGE_SIZE];
        Arrays.fill(ones, (byte) 0x11);
        f.write(0, ones);
        f.truncate(100);
        assertEquals(baseline + 1, frames.framesInUse());
        f.truncate(2 * PAGE_SIZE + 5);
        assertEquals(baseline + 3, frames.framesInUse());
        byte[] back = new byte[(int) f.size()];
        f.read(0, back);
        byte[] expect = new byte[back.length];
        Arrays.fill(expect, 0, 100, (byte) 0x11);
        assertArrayEquals(expect, back, "everything past byte 100 reads zero after shrink and grow");
        f.close();
        assertBaseline();
    }

    @Test
    void truncateGrowAddsZeroedPagesAndKeepsData() {
        MemFile f = space.createFile("f", 100);
        f.write(0, pattern(100, 6));
        long va = space.mmap(f, 0, PAGE_SIZE);
        long pa0 = space.physical(va);
        f.truncate(3 * PAGE_SIZE + 5);
        assertEquals(3 * PAGE_SIZE + 5, f.size());
        assertEquals(baseline + 4, frames.framesInUse());
        assertEquals(pa0, space.physical(va), "existing pages stay where they are");
        byte[] head = new byte[100];
        f.read(0, head);
        assertArrayEquals(pattern(100, 6), head);
        byte[] rest = new byte[3 * PAGE_SIZE + 5 - 100];
        f.read(100, rest);
        assertArrayEquals(new byte[rest.length], rest);
        f.write(3 * PAGE_SIZE, new byte[] { 1, 2, 3, 4, 5 });
        long va2 = space.mmap(f, 2 * PAGE_SIZE, 2 * PAGE_SIZE);
        assertEquals(5, space.read(va2 + PAGE_SIZE + 4, 1)[0]);
        f.truncate(3 * PAGE_SIZE + 2); // same page count: only the tail is zeroed
        assertEquals(baseline + 4, frames.framesInUse());
        assertArrayEquals(new byte[] { 1, 2, 0, 0, 0 }, space.read(va2 + PAGE_SIZE, 5));
        space.close();
        assertBaseline();
    }

    @Test
    void truncateGrowWithoutMemoryIsEnomemAndChangesNothing() {
        MemFile f = space.createFile("f", PAGE_SIZE);
        assertErrno(Errno.ENOMEM, () -> f.truncate(64L << 20));
        assertEquals(PAGE_SIZE, f.size());
        assertEquals(baseline + 1, frames.framesInUse());
        f.close();
        assertBaseline();
    }

    @Test
    void mappingPastATruncatedEndIsEfault() {
        MemFile f = space.createFile("f", 2 * PAGE_SIZE);
        long va = space.mmap(f, 0, 2 * PAGE_SIZE);
        f.truncate(PAGE_SIZE);
        assertEquals(0, space.read(va, 1)[0]);
        assertErrno(Errno.EFAULT, () -> space.read(va + PAGE_SIZE, 1));
        assertErrno(Errno.EFAULT, () -> space.write(va + PAGE_SIZE - 1, new byte[2]));
        assertEquals(0, space.read(va + PAGE_SIZE - 1, 1)[0], "no partial write");
        assertErrno(Errno.EFAULT, () -> space.pinCount(va + PAGE_SIZE));
        assertErrno(Errno.EFAULT, () -> space.physical(va + PAGE_SIZE));
        space.close();
        assertBaseline();
    }

    @Test
    void pinOfAMappingPastATruncatedEndIsEfault() {
        // runs forever until MemoryObject.runs / UserAddressSpace.walk are fixed
        MemFile f = space.createFile("f", 2 * PAGE_SIZE);
        long va = space.mmap(f, 0, 2 * PAGE_SIZE);
        f.truncate(PAGE_SIZE);
        assertErrno(Errno.EFAULT, () -> space.pin(va, 2 * PAGE_SIZE));
        assertEquals(0, space.pinnedPages());
        space.close();
        assertBaseline();
    }

    @Test
    void mmapSucceedsOnFragmentedMemory() {
        Machine small = machine(16L << 20);
        FrameAllocator fa = small.frames();
        List<Long> all = new ArrayList<>();
        while (true) {
            try {
                all.add(fa.allocate());
            } catch (IommuException e) {
                break;
            }
        }
        for (int i = 0; i < all.size(); i += 2) {
            fa.free(all.get(i));
        }
        long free = fa.totalFrames() - (FrameAllocator.RESERVED_LOW_BYTES >> PhysicalMemory.FRAME_SHIFT) - fa.framesInUse();
        assertTrue(free >= 1000, "plenty of single frames are free: " + free);
        UserAddressSpace s = small.newAddressSpace("frag");
        long inUse = fa.framesInUse();
        long va = s.mmap(8 * PAGE_SIZE);
        assertEquals(inUse + 8, fa.framesInUse());
        s.write(va, new byte[8 * PAGE_SIZE]);
        s.close();
        assertEquals(inUse, fa.framesInUse());
        for (int i = 1; i < all.size(); i += 2) {
            fa.free(all.get(i));
        }
        assertEquals(0, fa.framesInUse());
    }

    @Test
    void mmapOnFragmentedMemoryFallsBackToSmallerRuns() {
        Machine small = machine(16L << 20);
        FrameAllocator fa = small.frames();
        List<Long> all = new ArrayList<>();
        while (true) {
            try {
                all.add(fa.allocate());
            } catch (IommuException e) {
                assertEquals(Errno.ENOMEM, e.errno());
                break;
            }
        }
        for (int i = 0; i < all.size(); i += 2) {
            fa.free(all.get(i));
        }
        long inUse = fa.framesInUse();
        UserAddressSpace s = small.newAddressSpace("frag");
        long va = s.mmap(2 * PAGE_SIZE); // a 2-frame run does not exist; two single frames do
        assertEquals(inUse + 2, fa.framesInUse());
        assertNotEquals(s.physical(va) + PAGE_SIZE, s.physical(va + PAGE_SIZE));
        byte[] data = pattern(2 * PAGE_SIZE, 8);
        s.write(va, data);
        assertArrayEquals(data, s.read(va, 2 * PAGE_SIZE));
        s.close();
        assertEquals(inUse, fa.framesInUse());
        for (int i = 1; i < all.size(); i += 2) {
            fa.free(all.get(i));
        }
        assertEquals(0, fa.framesInUse());
    }

    @Test
    void mmapOutOfVirtualAddressesLeaksNothing() {
        Machine big = machine(64L << 30);
        UserAddressSpace s = big.newAddressSpace("va");
        long chunk = 16L << 30;
        MemFile f = s.createFile("f", chunk);
        long inUse = big.frames().framesInUse();
        IommuException e = null;
        for (int i = 0; i < 100_000 && e == null; i++) {
            try {
                s.mmap(f, 0, chunk);
            } catch (IommuException x) {
                e = x;
            }
        }
        assertEquals(Errno.ENOMEM, e.errno(), "virtual addresses ran out");
        assertErrno(Errno.ENOMEM, () -> s.mmap(chunk));
        assertEquals(inUse, big.frames().framesInUse(), "a failed mmap leaks no frames");
        s.close();
        assertEquals(0, big.frames().framesInUse());
    }

    // ---- FramePins directly ------------------------------------------------------------------------------------

    @Test
    void framePinsReleaseFreesUnpinnedAndDefersPinned() {
        FramePins pins = machine.pins();
        long pa = frames.allocate(4, 1);
        long pfn = pa >>> PhysicalMemory.FRAME_SHIFT;
        pins.pin(pfn + 1, 2);
        pins.pin(pfn + 2, 1);
        assertEquals(3, pins.total());
        assertEquals(1, pins.count(pfn + 1));
        assertEquals(2, pins.count(pfn + 2));
        assertEquals(0, pins.count(pfn + 3));

        pins.release(pfn, 4);
        assertEquals(baseline + 2, frames.framesInUse(), "frames 0 and 3 freed now");
        assertEquals(2, pins.releasedFrames());
        assertFalse(frames.isAllocated(pa));
        assertTrue(frames.isAllocated(pa + PAGE_SIZE));

        pins.unpin(pfn + 1, 2);
        assertEquals(baseline + 1, frames.framesInUse(), "frame 1 had its last pin");
        assertEquals(1, pins.releasedFrames());
        pins.unpin(pfn + 2, 1);
        assertEquals(0, pins.releasedFrames());
        assertEquals(0, pins.total());
        assertEquals(0, pins.runs());
        assertBaseline();
    }

    @Test
    void unpinOfAFrameWhoseOwnerStillHoldsItFreesNothing() {
        FramePins pins = machine.pins();
        long pa = frames.allocate();
        long pfn = pa >>> PhysicalMemory.FRAME_SHIFT;
        pins.pin(pfn, 1);
        pins.unpin(pfn, 1);
        assertTrue(frames.isAllocated(pa));
        assertThrows(IllegalStateException.class, () -> pins.unpin(pfn, 1), "unbalanced unpin");
        frames.free(pa);
        assertBaseline();
    }
}
