package dev.ioasid.machine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

class RangeCounterTest {
    private final RangeCounter rc = new RangeCounter();

    private void assertCounts(long from, long to, int... counts) {
        for (long i = from; i < to; i++) {
            assertEquals(counts[(int) (i - from)], rc.get(i), "count at " + i);
        }
    }

    @Test
    void emptyCounter() {
        assertTrue(rc.isEmpty());
        assertEquals(0, rc.runs());
        assertEquals(0, rc.total());
        assertEquals(0, rc.total(Long.MIN_VALUE, Long.MAX_VALUE));
        assertEquals(0, rc.get(0));
        assertEquals(0, rc.get(-5));
    }

    @Test
    void addOneRange() {
        assertTrue(rc.add(10, 20, 1).isEmpty());
        assertFalse(rc.isEmpty());
        assertEquals(1, rc.runs());
        assertEquals(0, rc.get(9));
        assertEquals(1, rc.get(10));
        assertEquals(1, rc.get(19));
        assertEquals(0, rc.get(20));
        assertEquals(10, rc.total());
    }

    @Test
    void aGigabyteOfPagesIsOneRun() {
        rc.add(0x100000, 0x100000 + (1L << 18), 1);
        rc.add(0x100000, 0x100000 + (1L << 18), 1);
        assertEquals(1, rc.runs());
        assertEquals(2L << 18, rc.total());
    }

    @Test
    void emptyRangeOrZeroDeltaChangesNothing() {
        rc.add(0, 4, 1);
        assertTrue(rc.add(5, 5, 3).isEmpty());
        assertTrue(rc.add(9, 3, 3).isEmpty());
        assertTrue(rc.add(0, 4, 0).isEmpty());
        assertTrue(rc.add(5, 5, -3).isEmpty(), "an empty range cannot underflow");
        assertEquals(4, rc.total());
        assertEquals(1, rc.runs());
    }

    @Test
    void addInsideARunSplitsIt() {
        rc.add(0, 10, 1);
        rc.add(3, 5, 1);
        assertEquals(3, rc.runs());
        assertCounts(0, 11, 1, 1, 1, 2, 2, 1, 1, 1, 1, 1, 0);
        assertEquals(12, rc.total());
    }

    @Test
    void overlappingAddsSplitAtEveryEdge() {
        rc.add(0, 10, 1);
        rc.add(5, 15, 2);
        assertEquals(3, rc.runs());
        assertCounts(0, 16, 1, 1, 1, 1, 1, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 0);
        assertEquals(5 + 15 + 10, rc.total());
    }

    @Test
    void addAcrossGapsFillsThem() {
        rc.add(2, 4, 1);
        rc.add(6, 8, 5);
        rc.add(0, 10, 1);
        assertCounts(0, 11, 1, 1, 2, 2, 1, 1, 6, 6, 1, 1, 0);
        assertEquals(2 + 4 + 2 + 12 + 2, rc.total());
    }

    @Test
    void equalNeighboursMergeWhenTheLeftOneIsAddedLast() {
        rc.add(5, 10, 1);
        rc.add(0, 5, 1);
        assertEquals(1, rc.runs());
        assertCounts(0, 11, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0);
    }

    @Test
    void undoingASplitInTheMiddleRestoresCounts() {
        rc.add(0, 10, 1);
        rc.add(3, 5, 1);
        assertTrue(rc.add(3, 5, -1).isEmpty(), "counts fell to 1, not 0");
        assertCounts(0, 11, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0);
        assertEquals(10, rc.total());
        assertTrue(rc.runs() <= 2, "the right part at least merges: " + rc.runs());
    }

    @Test
    void equalNeighboursMergeWhenTheRightOneIsAddedLast() {
        rc.add(0, 5, 1);
        rc.add(5, 10, 1);
        assertEquals(1, rc.runs(), "adjacent pins of equal count are one run");
        rc.add(0, 10, 1);
        rc.add(3, 5, 1);
        rc.add(3, 5, -1);
        assertEquals(1, rc.runs(), "undoing a split restores one run");
        assertEquals(20, rc.total());
    }

    @Test
    void decrementReturnsTheRunsThatFellToZero() {
        rc.add(0, 10, 2);
        List<long[]> zeroed = rc.add(2, 4, -2);
        assertEquals(1, zeroed.size());
        assertArrayEquals(new long[] { 2, 4 }, zeroed.get(0));
        assertCounts(0, 11, 2, 2, 0, 0, 2, 2, 2, 2, 2, 2, 0);

        List<long[]> some = rc.add(4, 10, -1);
        assertTrue(some.isEmpty(), "counts fell to 1 only");
        assertCounts(0, 11, 2, 2, 0, 0, 1, 1, 1, 1, 1, 1, 0);
    }

    @Test
    void zeroedRunsAreReportedOnlyWhereTheCountReachesZero() {
        rc.add(0, 4, 1);
        rc.add(4, 8, 2);
        rc.add(8, 12, 1);
        List<long[]> zeroed = rc.add(0, 12, -1);
        assertEquals(2, zeroed.size());
        assertArrayEquals(new long[] { 0, 4 }, zeroed.get(0));
        assertArrayEquals(new long[] { 8, 12 }, zeroed.get(1));
        assertCounts(0, 13, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0);
        assertEquals(1, rc.runs());
    }

    @Test
    void adjacentZeroedRunsAreCoalesced() {
        rc.add(0, 4, 1);
        rc.add(4, 8, 1);
        rc.add(8, 12, 1);
        rc.add(2, 6, 1); // splits into runs with different counts
        rc.add(2, 6, -1);
        List<long[]> zeroed = rc.add(0, 12, -1);
        assertEquals(1, zeroed.size());
        assertArrayEquals(new long[] { 0, 12 }, zeroed.get(0));
        assertTrue(rc.isEmpty());
        assertEquals(0, rc.runs());
        assertEquals(0, rc.total());
    }

    @Test
    void totalOfARange() {
        rc.add(0, 10, 1);
        rc.add(5, 15, 2);
        // [0,5)=1 [5,10)=3 [10,15)=2
        assertEquals(2 * 1 + 5 * 3 + 2 * 2, rc.total(3, 12));
        assertEquals(rc.total(), rc.total(0, 15));
        assertEquals(rc.total(), rc.total(-100, 100));
        assertEquals(0, rc.total(20, 30));
        assertEquals(0, rc.total(-5, 0));
        assertEquals(2, rc.total(-5, 2));
        assertEquals(3, rc.total(7, 8));
        assertEquals(0, rc.total(8, 8));
        assertEquals(2, rc.total(14, 1000));
    }

    @Test
    void underflowThrows() {
        assertThrows(IllegalStateException.class, () -> rc.add(0, 5, -1));
        assertTrue(rc.isEmpty());
        rc.add(0, 5, 1);
        assertThrows(IllegalStateException.class, () -> rc.add(0, 5, -2));
        assertThrows(IllegalStateException.class, () -> rc.add(3, 8, -1), "the part past the run has no count");
        assertEquals(1, rc.get(1), "indexes outside the refused range keep their count");
        assertEquals(0, rc.get(9));
    }

    @Test
    void underflowChangesNothing() {
        rc.add(0, 10, 1);
        assertThrows(IllegalStateException.class, () -> rc.add(0, 20, -1));
        assertEquals(10, rc.total());
        assertEquals(1, rc.get(0));
        rc.add(12, 14, 1);
        assertThrows(IllegalStateException.class, () -> rc.add(0, 14, -1));
        assertEquals(12, rc.total());
    }

    @Test
    void largeIndexes() {
        long base = Long.MAX_VALUE - 100;
        rc.add(base, base + 50, 3);
        assertEquals(150, rc.total());
        assertEquals(3, rc.get(base + 49));
        assertEquals(0, rc.get(base + 50));
        List<long[]> z = rc.add(base, base + 50, -3);
        assertArrayEquals(new long[] { base, base + 50 }, z.get(0));
        assertTrue(rc.isEmpty());
    }

    /** Random adds and removes against a plain array model. */
    @Test
    void matchesAnArrayModel() {
        Random random = new Random(42);
        int size = 64;
        int[] model = new int[size];
        for (int step = 0; step < 2000; step++) {
            int s = random.nextInt(size);
            int e = s + 1 + random.nextInt(size - s);
            boolean down = random.nextBoolean();
            boolean canDown = true;
            for (int i = s; i < e; i++) {
                canDown &= model[i] > 0;
            }
            if (down && canDown) {
                boolean[] expectZero = new boolean[size];
                for (int i = s; i < e; i++) {
                    model[i]--;
                    expectZero[i] = model[i] == 0;
                }
                boolean[] gotZero = new boolean[size];
                long previousEnd = Long.MIN_VALUE;
                for (long[] r : rc.add(s, e, -1)) {
                    assertTrue(r[0] < r[1]);
                    assertTrue(r[0] > previousEnd, "zeroed runs are sorted and coalesced");
                    previousEnd = r[1];
                    for (long i = r[0]; i < r[1]; i++) {
                        gotZero[(int) i] = true;
                    }
                }
                assertArrayEquals(expectZero, gotZero, "step " + step);
            } else {
                assertTrue(rc.add(s, e, 1).isEmpty());
                for (int i = s; i < e; i++) {
                    model[i]++;
                }
            }
            long total = 0;
            for (int i = 0; i < size; i++) {
                assertEquals(model[i], rc.get(i), "step " + step + " index " + i);
                total += model[i];
            }
            assertEquals(total, rc.total());
            int a = random.nextInt(size);
            int b = a + random.nextInt(size - a + 1);
            long sub = 0;
            for (int i = a; i < b; i++) {
                sub += model[i];
            }
            assertEquals(sub, rc.total(a, b), "total(" + a + ", " + b + ") at step " + step);
            assertTrue(rc.runs() <= size);
        }
    }
}
