package dev.ioasid.backend.mock.internal;

import static dev.ioasid.backend.mock.internal.TestMachines.expectErrno;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.ioasid.api.Errno;
import dev.ioasid.api.MapFlags;
import dev.ioasid.machine.FrameAllocator;
import dev.ioasid.machine.Machine;
import dev.ioasid.machine.PhysicalMemory;

/**
 * The mock's page table format, checked byte by byte in simulated physical memory against entries computed by
 * hand from the documented layout: V bit 0, R bit 1, W bit 2, LEAF bit 3, D bit 4, A bit 5, OA bits 51:11.
 */
class MockPageTableTest {
    static final int RW = MapFlags.READABLE | MapFlags.WRITEABLE;
    static final long K2 = 2048;
    static final long K4 = 4096;
    static final long MIB = 1L << 20;

    Machine machine;
    FrameAllocator frames;
    PhysicalMemory mem;
    /** frames in use before the table under test was created */
    long beforeTable;

    @BeforeEach
    void setUp() {
        machine = TestMachines.machine("memory 1G\n");
        frames = machine.frames();
        mem = machine.memory();
        beforeTable = frames.framesInUse();
    }

    @AfterEach
    void tearDown() {
        frames.failNth(0);
    }

    private long entry(long table, int index) {
        return mem.load64(table + 8L * index);
    }

    /** The table an entry points at; checks the entry is exactly {@code table | V} with a 4 KiB aligned table. */
    private long table(long e) {
        assertEquals(1L, e & 0xfff, () -> String.format("table pointer 0x%x must carry V only", e));
        assertEquals(0L, e >>> 52, () -> String.format("table pointer 0x%x has bits above 51", e));
        long t = e & ~0xfffL;
        assertTrue(frames.isAllocated(t), () -> String.format("table 0x%x is not an allocated frame", t));
        return t;
    }

    /** Checks every entry of a table but {@code except} is zero. */
    private void assertOnly(long table, int... except) {
        List<Integer> nonZero = new ArrayList<>();
        for (int i = 0; i < 512; i++) {
            if (entry(table, i) != 0) {
                nonZero.add(i);
            }
        }
        List<Integer> want = new ArrayList<>();
        for (int i : except) {
            want.add(i);
        }
        assertEquals(want, nonZero, "non-zero entries of table 0x" + Long.toHexString(table));
    }

    private int walkLevel(MockPageTable pt, long iova) {
        int[] level = { -1 };
        pt.walk(iova, null, level);
        return level[0];
    }

    // ---- geometry

    @Test
    void geometryOfBothGranules() {
        MockPageTable p2 = new MockPageTable(frames, 11);
        assertEquals((1L << 11) | (1L << 20) | (1L << 29), p2.pageSizes());
        assertEquals(1L << 38, p2.reach());
        assertEquals(11, p2.shift(0));
        assertEquals(20, p2.shift(1));
        assertEquals(29, p2.shift(2));
        MockPageTable p4 = new MockPageTable(frames, 12);
        assertEquals((1L << 12) | (1L << 21) | (1L << 30), p4.pageSizes());
        assertEquals(1L << 39, p4.reach());
        assertEquals(beforeTable + 2, frames.framesInUse());
        assertEquals(1, p2.tableFrames());
        assertOnly(p2.root);
        assertOnly(p4.root);
    }

    // ---- byte-exact entries

    @Test
    void granule2kLevel0LeafIsByteExact() {
        MockPageTable pt = new MockPageTable(frames, 11);
        long afterRoot = frames.framesInUse();
        // iova 0x23456800: level 2 index 0x23456800 >> 29 = 1, level 1 index (>> 20) & 511 = 0x34 = 52,
        // level 0 index (>> 11) & 511 = 0xad = 173
        long iova = 0x2345_6800L;
        long pa = 0x000f_edcb_a987_6800L;
        pt.map(iova, pa, K2, RW, false);

        long l1 = table(entry(pt.root, 1));
        assertOnly(pt.root, 1);
        long l0 = table(entry(l1, 52));
        assertOnly(l1, 52);
        // OA | LEAF 0x8 | W 0x4 | R 0x2 | V 0x1
        assertEquals(0x000f_edcb_a987_680fL, entry(l0, 173));
        assertOnly(l0, 173);
        // little-endian in memory
        assertArrayEquals(new byte[] { 0x0f, 0x68, (byte) 0x87, (byte) 0xa9, (byte) 0xcb, (byte) 0xed, 0x0f, 0x00 },
                mem.read(l0 + 8 * 173, 8));
        assertNotEquals(l1, l0);
        assertNotEquals(pt.root, l1);
        assertEquals(afterRoot + 2, frames.framesInUse());
        assertEquals(3, pt.tableFrames());

        // read-only, write-only and no-permission leaves next to it, in the same level-0 table
        pt.map(iova + K2, 0x10_0800L, K2, MapFlags.READABLE, false);
        pt.map(iova + 2 * K2, 0x10_1000L, K2, MapFlags.WRITEABLE, false);
        pt.map(iova + 3 * K2, 0x10_1800L, K2, 0, false);
        assertEquals(0x10_0800L | 0x2 | 0x8 | 0x1, entry(l0, 174));
        assertEquals(0x10_1000L | 0x4 | 0x8 | 0x1, entry(l0, 175));
        assertEquals(0x10_1800L | 0x8 | 0x1, entry(l0, 176));
        assertOnly(l0, 173, 174, 175, 176);
        assertEquals(afterRoot + 2, frames.framesInUse());
        assertEquals(0, walkLevel(pt, iova));
    }

    @Test
    void granule4kLevel0LeafIsByteExact() {
        MockPageTable pt = new MockPageTable(frames, 12);
        // iova 0x23456000: level 2 index >> 30 = 0, level 1 (>> 21) & 511 = 0x11a = 282, level 0 (>> 12) & 511 = 0x56 = 86
        long iova = 0x2345_6000L;
        long pa = 0x000f_edcb_a987_6000L;
        pt.map(iova, pa, K4, MapFlags.READABLE, false);
        long l1 = table(entry(pt.root, 0));
        assertOnly(pt.root, 0);
        long l0 = table(entry(l1, 282));
        assertOnly(l1, 282);
        assertEquals(0x000f_edcb_a987_600bL, entry(l0, 86));
        assertOnly(l0, 86);
        assertEquals(beforeTable + 3, frames.framesInUse());
        assertEquals(pa + 0x123, pt.iovaToPhys(iova + 0x123));
    }

    @Test
    void granule2kHugeLeafAtLevel1Is1MiB() {
        MockPageTable pt = new MockPageTable(frames, 11);
        // iova 0x23500000: level 2 index 1, level 1 index (>> 20) & 511 = 0x35 = 53
        long iova = 0x2350_0000L;
        long pa = 0x0001_2340_0000L;
        pt.map(iova, pa, MIB, RW, true);
        long l1 = table(entry(pt.root, 1));
        assertOnly(pt.root, 1);
        assertEquals(0x0001_2340_000fL, entry(l1, 53));
        assertOnly(l1, 53);
        assertEquals(2, pt.tableFrames());
        assertEquals(beforeTable + 2, frames.framesInUse());
        assertEquals(1, walkLevel(pt, iova + 0xabc80));
        assertEquals(pa + 0xabc80, pt.iovaToPhys(iova + 0xabc80));
        assertEquals(pa + MIB - 1, pt.iovaToPhys(iova + MIB - 1));
        assertEquals(-1, pt.iovaToPhys(iova + MIB));
        assertEquals(-1, pt.iovaToPhys(iova - 1));
    }

    @Test
    void granule2kWithoutLargePagesUses512Level0Leaves() {
        MockPageTable pt = new MockPageTable(frames, 11);
        long iova = 0x2350_0000L;
        long pa = 0x0001_2340_0000L;
        pt.map(iova, pa, MIB, RW, false);
        long l1 = table(entry(pt.root, 1));
        long l0 = table(entry(l1, 53));
        for (int i = 0; i < 512; i++) {
            assertEquals((pa + i * K2) | 0xf, entry(l0, i), "entry " + i);
        }
        assertEquals(3, pt.tableFrames());
        assertEquals(0, walkLevel(pt, iova + 0xabc80));
    }

    @Test
    void granule2kHugeLeafAtLevel2Is512MiB() {
        MockPageTable pt = new MockPageTable(frames, 11);
        // iova 1 GiB: level 2 index 0x40000000 >> 29 = 2
        long iova = 0x4000_0000L;
        long pa = 0x0002_0000_0000L;
        pt.map(iova, pa, 512 * MIB, RW, true);
        assertEquals(0x0002_0000_000fL, entry(pt.root, 2));
        assertOnly(pt.root, 2);
        assertEquals(1, pt.tableFrames());
        assertEquals(beforeTable + 1, frames.framesInUse());
        assertEquals(2, walkLevel(pt, iova + 0x1234_5678));
        assertEquals(pa + 0x1234_5678L, pt.iovaToPhys(iova + 0x1234_5678));
    }

    @Test
    void granule4kHugeLeavesAre2MiBAnd1GiB() {
        MockPageTable pt = new MockPageTable(frames, 12);
        // 2 MiB at iova 0x23400000: level 2 index 0, level 1 index (>> 21) & 511 = 0x11a = 282
        long iova2m = 0x2340_0000L;
        long pa2m = 0x0001_2340_0000L;
        pt.map(iova2m, pa2m, 2 * MIB, RW, true);
        long l1 = table(entry(pt.root, 0));
        assertEquals(0x0001_2340_000fL, entry(l1, 282));
        assertOnly(l1, 282);
        assertEquals(1, walkLevel(pt, iova2m + 0x1f_ffffL));
        assertEquals(pa2m + 0x1f_ffffL, pt.iovaToPhys(iova2m + 0x1f_ffffL));

        // 1 GiB at iova 0x40000000: level 2 index 1; read-only
        long iova1g = 0x4000_0000L;
        long pa1g = 0x0003_4000_0000L;
        pt.map(iova1g, pa1g, 1L << 30, MapFlags.READABLE, true);
        assertEquals(0x0003_4000_000bL, entry(pt.root, 1));
        assertOnly(pt.root, 0, 1);
        assertEquals(2, walkLevel(pt, iova1g + 0x3fff_ffffL));
        assertEquals(pa1g + 0x3fff_ffffL, pt.iovaToPhys(iova1g + 0x3fff_ffffL));
        assertEquals(2, pt.tableFrames());
    }

    @Test
    void largeMapPicksTheBiggestLeafTheAlignmentAllows() {
        MockPageTable pt = new MockPageTable(frames, 11);
        long iova = 0x2350_0000L - K2;
        long pa = 0x0001_2340_0000L - K2;
        pt.map(iova, pa, K2 + MIB + K2, RW, true);
        assertEquals(0, walkLevel(pt, iova));
        assertEquals(1, walkLevel(pt, iova + K2));
        assertEquals(0, walkLevel(pt, iova + K2 + MIB));
        assertEquals(pa + K2 + MIB + 5, pt.iovaToPhys(iova + K2 + MIB + 5));

        // the IOVA is 1 MiB aligned but the physical address is not: level 0 leaves only
        MockPageTable q = new MockPageTable(frames, 11);
        q.map(0x2350_0000L, 0x0001_2340_0800L, MIB, RW, true);
        assertEquals(0, walkLevel(q, 0x2350_0000L));
        assertEquals(0, walkLevel(q, 0x2350_0000L + MIB - K2));
        assertEquals(3, q.tableFrames());
    }

    // ---- EEXIST

    @Test
    void mappingTheSameGranuleTwiceIsEexist() {
        MockPageTable pt = new MockPageTable(frames, 11);
        long iova = 0x2345_6800L;
        pt.map(iova, 0x20_0000L, K2, RW, false);
        long inUse = frames.framesInUse();
        expectErrno(Errno.EEXIST, () -> pt.map(iova, 0x30_0000L, K2, MapFlags.READABLE, false));
        assertEquals(0x20_0000L, pt.iovaToPhys(iova));
        long l0 = table(entry(table(entry(pt.root, 1)), 52));
        assertEquals(0x20_0000L | 0xf, entry(l0, 173));
        assertEquals(inUse, frames.framesInUse());
    }

    @Test
    void mappingUnderAHugePageIsEexist() {
        MockPageTable pt = new MockPageTable(frames, 11);
        pt.map(0x2350_0000L, 0x0001_2340_0000L, MIB, RW, true);
        pt.map(0x4000_0000L, 0x0002_0000_0000L, 512 * MIB, RW, true);
        long inUse = frames.framesInUse();
        // a granule inside the 1 MiB leaf, and inside the 512 MiB leaf
        expectErrno(Errno.EEXIST, () -> pt.map(0x2350_0000L + 0x4000, 0x50_0000L, K2, RW, false));
        expectErrno(Errno.EEXIST, () -> pt.map(0x4000_0000L + 0x123_4000L, 0x50_0000L, K2, RW, false));
        // a 1 MiB leaf inside the 512 MiB leaf
        expectErrno(Errno.EEXIST, () -> pt.map(0x4010_0000L, 0x0004_0000_0000L, MIB, RW, true));
        assertEquals(inUse, frames.framesInUse());
        assertEquals(0x0001_2340_4000L, pt.iovaToPhys(0x2350_4000L));
        assertEquals(0x0002_0123_4000L, pt.iovaToPhys(0x4123_4000L));
    }

    @Test
    void aHugeLeafOverMappedGranulesIsEexist() {
        MockPageTable pt = new MockPageTable(frames, 11);
        pt.map(0x2350_0000L + 0x8000, 0x50_0000L, K2, RW, false);
        long inUse = frames.framesInUse();
        expectErrno(Errno.EEXIST, () -> pt.map(0x2350_0000L, 0x0001_2340_0000L, MIB, RW, true));
        expectErrno(Errno.EEXIST, () -> pt.map(0x2000_0000L, 0x0002_0000_0000L, 512 * MIB, RW, true));
        assertEquals(inUse, frames.framesInUse());
        assertEquals(0x50_0000L, pt.iovaToPhys(0x2350_8000L));
        assertEquals(-1, pt.iovaToPhys(0x2350_0000L));
    }

    @Test
    void eexistInTheMiddleRollsBackWhatTheCallMapped() {
        MockPageTable pt = new MockPageTable(frames, 11);
        long iova = 0x2345_6800L;
        pt.map(iova + 2 * K2, 0x50_0000L, K2, RW, false);
        long inUse = frames.framesInUse();
        expectErrno(Errno.EEXIST, () -> pt.map(iova, 0x60_0000L, 4 * K2, RW, false));
        assertEquals(-1, pt.iovaToPhys(iova));
        assertEquals(-1, pt.iovaToPhys(iova + K2));
        assertEquals(0x50_0000L, pt.iovaToPhys(iova + 2 * K2));
        assertEquals(-1, pt.iovaToPhys(iova + 3 * K2));
        assertEquals(inUse, frames.framesInUse());
        long l0 = table(entry(table(entry(pt.root, 1)), 52));
        assertOnly(l0, 175);
    }

    // ---- ENOMEM

    @Test
    void enomemAtTheFirstTableLeavesNothing() {
        MockPageTable pt = new MockPageTable(frames, 11);
        long afterRoot = frames.framesInUse();
        frames.failNth(1);
        expectErrno(Errno.ENOMEM, () -> pt.map(0x2345_6800L, 0x20_0000L, K2, RW, false));
        assertEquals(afterRoot, frames.framesInUse());
        assertOnly(pt.root);
        assertEquals(1, pt.tableFrames());
    }

    @Test
    void enomemAfterSomePagesRollsBackAndFreesTheirTables() {
        MockPageTable pt = new MockPageTable(frames, 11);
        long afterRoot = frames.framesInUse();
        // the last granule below 512 MiB, then the first at 512 MiB: allocations are
        // #1 level-1 table (root slot 0), #2 level-0 table, #3 level-1 table (root slot 1): fails
        long iova = 0x2000_0000L - K2;
        frames.failNth(3);
        expectErrno(Errno.ENOMEM, () -> pt.map(iova, 0x20_0000L, 2 * K2, RW, false));
        assertEquals(-1, pt.iovaToPhys(iova));
        assertEquals(-1, pt.iovaToPhys(iova + K2));
        assertOnly(pt.root);
        assertEquals(afterRoot, frames.framesInUse());
        assertEquals(1, pt.tableFrames());
        // and it maps fine afterwards
        pt.map(iova, 0x20_0000L, 2 * K2, RW, false);
        assertEquals(0x20_0800L, pt.iovaToPhys(iova + K2));
    }

    @Test
    void enomemInsideOnePageLeavesNoEmptyTable() {
        MockPageTable pt = new MockPageTable(frames, 11);
        long afterRoot = frames.framesInUse();
        // #1 level-1 table succeeds, #2 level-0 table fails
        frames.failNth(2);
        expectErrno(Errno.ENOMEM, () -> pt.map(0x2345_6800L, 0x20_0000L, K2, RW, false));
        assertOnly(pt.root);
        assertEquals(afterRoot, frames.framesInUse());
        assertEquals(1, pt.tableFrames());
        // the leaked empty table would also make a 512 MiB leaf over its slot fail with EEXIST
        pt.map(0x2000_0000L, 0x0002_0000_0000L, 512 * MIB, RW, true);
    }

    @Test
    void enomemAfterSomePagesLeavesNoEmptyTableBeyondTheRange() {
        MockPageTable pt = new MockPageTable(frames, 11);
        long afterRoot = frames.framesInUse();
        // #1 level-1 (root slot 0), #2 level-0, #3 level-1 (root slot 1) succeeds, #4 level-0 fails
        long iova = 0x2000_0000L - K2;
        frames.failNth(4);
        expectErrno(Errno.ENOMEM, () -> pt.map(iova, 0x20_0000L, 2 * K2, RW, false));
        assertOnly(pt.root);
        assertEquals(afterRoot, frames.framesInUse());
    }

    // ---- unmap

    @Test
    void unmapReturnsTheBytesAndFreesEmptiedTables() {
        MockPageTable pt = new MockPageTable(frames, 11);
        long afterRoot = frames.framesInUse();
        long iova = 0x2345_6800L;
        pt.map(iova, 0x20_0000L, 4 * K2, RW, false);
        assertEquals(afterRoot + 2, frames.framesInUse());
        assertEquals(0, pt.unmap(iova + 8 * K2, 8 * K2), "nothing mapped there");
        assertEquals(2 * K2, pt.unmap(iova, 2 * K2));
        assertEquals(afterRoot + 2, frames.framesInUse(), "the level-0 table still holds two leaves");
        long l0 = table(entry(table(entry(pt.root, 1)), 52));
        assertOnly(l0, 175, 176);
        assertEquals(2 * K2, pt.unmap(iova, 4 * K2));
        assertOnly(pt.root);
        assertEquals(afterRoot, frames.framesInUse());
        assertEquals(1, pt.tableFrames());
        assertEquals(-1, pt.iovaToPhys(iova + 3 * K2));
    }

    @Test
    void unmapCountsOnlyMappedBytesAcrossTables() {
        MockPageTable pt = new MockPageTable(frames, 11);
        long afterRoot = frames.framesInUse();
        // granules on both sides of 512 MiB (different level-1 tables), and a 1 MiB leaf
        pt.map(0x2000_0000L - 2 * K2, 0x20_0000L, K2, RW, false);
        pt.map(0x2000_0000L + K2, 0x30_0000L, K2, RW, false);
        pt.map(0x2010_0000L, 0x40_0000L, MIB, RW, true);
        assertEquals(afterRoot + 4, frames.framesInUse());
        assertEquals(K2 + K2 + MIB, pt.unmap(0x1000_0000L, 0x2000_0000L));
        assertOnly(pt.root);
        assertEquals(afterRoot, frames.framesInUse());
    }

    @Test
    void unmapOfAWholeHugeLeafDoesNotSplit() {
        MockPageTable pt = new MockPageTable(frames, 11);
        long afterRoot = frames.framesInUse();
        pt.map(0x4000_0000L, 0x0002_0000_0000L, 512 * MIB, RW, true);
        pt.map(0x2350_0000L, 0x0001_2340_0000L, MIB, RW, true);
        assertEquals(512 * MIB, pt.unmap(0x4000_0000L, 512 * MIB));
        assertEquals(MIB, pt.unmap(0x2350_0000L, MIB));
        assertOnly(pt.root);
        assertEquals(afterRoot, frames.framesInUse());
    }

    @Test
    void unmapThatCutsA1MiBLeafSplitsIt() {
        MockPageTable pt = new MockPageTable(frames, 11);
        long afterRoot = frames.framesInUse();
        long iova = 0x2350_0000L;
        long pa = 0x0001_2340_0000L;
        pt.map(iova, pa, MIB, RW, true);
        long l1 = table(entry(pt.root, 1));
        long[] slot = new long[1];
        pt.walk(iova, slot, null);
        assertEquals(l1 + 8 * 53, slot[0]);
        pt.setBits(slot[0], MockPageTable.A);
        assertEquals(pa | 0x2f, entry(l1, 53));

        // cut one granule out at offset 0x8000 (level-0 index 16)
        assertEquals(K2, pt.unmap(iova + 0x8000, K2));
        long l0 = table(entry(l1, 53));
        for (int i = 0; i < 512; i++) {
            long want = i == 16 ? 0 : (pa + i * K2) | MockPageTable.A | 0xf;
            assertEquals(want, entry(l0, i), "entry " + i);
        }
        assertEquals(3, pt.tableFrames());
        assertEquals(afterRoot + 2, frames.framesInUse());
        assertEquals(-1, pt.iovaToPhys(iova + 0x8000));
        assertEquals(pa + 0x8800, pt.iovaToPhys(iova + 0x8800));
        assertEquals(pa + 0x7fff, pt.iovaToPhys(iova + 0x7fff));
        assertEquals(0, walkLevel(pt, iova));

        assertEquals(MIB - K2, pt.unmap(iova, MIB));
        assertOnly(pt.root);
        assertEquals(afterRoot, frames.framesInUse());
        assertEquals(1, pt.tableFrames());
    }

    @Test
    void unmapThatCutsA512MiBLeafSplitsItTwice() {
        MockPageTable pt = new MockPageTable(frames, 11);
        long afterRoot = frames.framesInUse();
        long iova = 0x4000_0000L;
        long pa = 0x0002_0000_0000L;
        pt.map(iova, pa, 512 * MIB, MapFlags.READABLE, true);
        // cut the second granule of the second MiB
        assertEquals(K2, pt.unmap(iova + MIB + K2, K2));
        long l1 = table(entry(pt.root, 2));
        for (int i = 0; i < 512; i++) {
            if (i != 1) {
                assertEquals((pa + i * MIB) | 0xb, entry(l1, i), "level-1 entry " + i);
            }
        }
        long l0 = table(entry(l1, 1));
        for (int j = 0; j < 512; j++) {
            long want = j == 1 ? 0 : (pa + MIB + j * K2) | 0xb;
            assertEquals(want, entry(l0, j), "level-0 entry " + j);
        }
        assertEquals(3, pt.tableFrames());
        assertEquals(afterRoot + 2, frames.framesInUse());
        assertEquals(1, walkLevel(pt, iova));
        assertEquals(0, walkLevel(pt, iova + MIB));
        assertEquals(pa + 300 * MIB + 17, pt.iovaToPhys(iova + 300 * MIB + 17));
        assertEquals(-1, pt.iovaToPhys(iova + MIB + K2));

        assertEquals(512 * MIB - K2, pt.unmap(iova, 512 * MIB));
        assertOnly(pt.root);
        assertEquals(afterRoot, frames.framesInUse());
    }

    @Test
    void granule4kSplitOfA2MiBLeaf() {
        MockPageTable pt = new MockPageTable(frames, 12);
        long iova = 0x2340_0000L;
        long pa = 0x0001_2340_0000L;
        pt.map(iova, pa, 2 * MIB, RW, true);
        assertEquals(2 * K4, pt.unmap(iova + 510 * K4, 2 * K4));
        long l0 = table(entry(table(entry(pt.root, 0)), 282));
        for (int i = 0; i < 512; i++) {
            long want = i >= 510 ? 0 : (pa + i * K4) | 0xf;
            assertEquals(want, entry(l0, i), "entry " + i);
        }
        assertEquals(pa + 509 * K4 + 1, pt.iovaToPhys(iova + 509 * K4 + 1));
    }

    // ---- iovaToPhys, dirty bits, free

    @Test
    void iovaToPhysOfEveryLevel() {
        MockPageTable pt = new MockPageTable(frames, 11);
        assertEquals(-1, pt.iovaToPhys(0x2345_6800L));
        pt.map(0x2345_6800L, 0x20_0800L, K2, RW, false);
        pt.map(0x2350_0000L, 0x0001_2340_0000L, MIB, RW, true);
        pt.map(0x4000_0000L, 0x0002_0000_0000L, 512 * MIB, RW, true);
        assertEquals(0x20_0800L, pt.iovaToPhys(0x2345_6800L));
        assertEquals(0x20_0fffL, pt.iovaToPhys(0x2345_6fffL));
        assertEquals(-1, pt.iovaToPhys(0x2345_7000L));
        assertEquals(0x0001_2340_0000L + 0xf_fffeL, pt.iovaToPhys(0x2350_0000L + 0xf_fffeL));
        assertEquals(0x0002_0000_0000L + 0x1fff_ffffL, pt.iovaToPhys(0x5fff_ffffL));
        assertEquals(-1, pt.iovaToPhys(0x6000_0000L));
    }

    @Test
    void setBitsAndReadDirty() {
        MockPageTable pt = new MockPageTable(frames, 11);
        long a = 0x2345_6800L;
        long huge = 0x2350_0000L;
        pt.map(a, 0x20_0800L, 2 * K2, RW, false);
        pt.map(huge, 0x0001_2340_0000L, MIB, RW, true);
        long[] slot = new long[1];
        pt.walk(a + K2, slot, null);
        long s1 = slot[0];
        pt.walk(huge + 0x4_0000, slot, null);
        long s2 = slot[0];
        pt.setBits(s1, MockPageTable.A | MockPageTable.D);
        pt.setBits(s2, MockPageTable.D);
        assertEquals(0x20_1000L | 0x3f, mem.load64(s1));
        assertEquals(0x0001_2340_0000L | 0x1f, mem.load64(s2));
        // setBits does not touch an invalid slot
        long[] none = new long[1];
        pt.walk(a, none, null);
        pt.unmap(a, K2);
        pt.setBits(none[0], MockPageTable.A);
        assertEquals(0, mem.load64(none[0]));

        List<long[]> seen = new ArrayList<>();
        pt.readDirty(0x2000_0000L, 0x1000_0000L, true, (v, s) -> seen.add(new long[] { v, s }));
        assertEquals(2, seen.size());
        assertArrayEquals(new long[] { a + K2, K2 }, seen.get(0));
        assertArrayEquals(new long[] { huge, MIB }, seen.get(1));
        assertEquals(0x20_1000L | 0x3f, mem.load64(s1), "keep leaves D set");

        seen.clear();
        // a range that only touches the huge leaf reports the whole leaf
        pt.readDirty(huge + 0x4_0000, K2, false, (v, s) -> seen.add(new long[] { v, s }));
        assertEquals(1, seen.size());
        assertArrayEquals(new long[] { huge, MIB }, seen.get(0));
        assertEquals(0x0001_2340_0000L | 0xf, mem.load64(s2));
        assertEquals(0x20_1000L | 0x3f, mem.load64(s1), "outside the range");

        seen.clear();
        pt.readDirty(0x2000_0000L, 0x1000_0000L, false, (v, s) -> seen.add(new long[] { v, s }));
        assertEquals(1, seen.size());
        assertEquals(0x20_1000L | 0x2f, mem.load64(s1), "D cleared, A kept");
        seen.clear();
        pt.readDirty(0x2000_0000L, 0x1000_0000L, false, (v, s) -> seen.add(new long[] { v, s }));
        assertTrue(seen.isEmpty());
    }

    @Test
    void freeReturnsEveryFrame() {
        MockPageTable pt = new MockPageTable(frames, 11);
        pt.map(0x2345_6800L, 0x20_0800L, 3 * K2, RW, false);
        pt.map(0x2000_0000L - K2, 0x20_0000L, 2 * K2, RW, false);
        pt.map(0x2350_0000L, 0x0001_2340_0000L, MIB, RW, true);
        pt.map(0x4000_0000L, 0x0002_0000_0000L, 512 * MIB, RW, true);
        pt.unmap(0x4000_0000L + 7 * MIB + K2, K2); // two splits
        assertTrue(pt.tableFrames() > 4);
        assertEquals(beforeTable + pt.tableFrames(), frames.framesInUse());
        long root = pt.root;
        pt.free();
        assertEquals(0, pt.tableFrames());
        assertEquals(beforeTable, frames.framesInUse());
        assertFalse(frames.isAllocated(root));
    }

    @Test
    void freeOfAnEmptyTableReturnsTheRoot() {
        MockPageTable pt = new MockPageTable(frames, 12);
        assertEquals(beforeTable + 1, frames.framesInUse());
        pt.free();
        assertEquals(beforeTable, frames.framesInUse());
    }
}
