package dev.ioasid.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.ioasid.bench.report.Figure.Goal;

class FigureTest {

    @Test
    void a_line_has_the_issue_format() {
        Figure f = new Figure("P1", "mock translate", 2.5, Goal.atMost(1.0), "");
        assertEquals("P1 mock translate ratio=2.500 goal=<=1.000 MISSES", f.line());
        assertEquals("P6 x ratio=1.900 goal=>=1.800 MEETS", new Figure("P6", "x", 1.9, Goal.atLeast(1.8), "").line());
    }

    @Test
    void a_goal_is_met_on_its_bound_and_never_without_a_ratio() {
        assertTrue(Goal.atMost(1.0).test(1.0));
        assertTrue(Goal.atLeast(1.8).test(1.8));
        assertFalse(Goal.atMost(1.0).test(Double.NaN));
        Figure none = new Figure("P5", "x", Double.NaN, Goal.atMost(5), "no result");
        assertFalse(none.meets());
        assertTrue(none.line().endsWith("ratio=n/a goal=<=5.000 MISSES"));
    }

    @Test
    void ratios_keep_three_significant_digits() {
        assertEquals("0.999", Figure.format(0.9990));
        assertEquals("8.016", Figure.format(8.015625));
        assertEquals("152.6", Figure.format(10_000_000 / 65_535.0));
        assertEquals("47.25", Figure.format(47.25));
        assertEquals("1250", Figure.format(1250.4));
    }

    @Test
    void the_dense_hardware_cost_is_a_pte_and_a_512th_of_a_table_entry() {
        assertEquals(8.015625, HardwareCost.DENSE_BYTES_PER_PAGE);
    }

    @Test
    void four_level_tables_count_the_root_and_one_table_per_region_touched() {
        assertEquals(1, HardwareCost.fourLevelFrames(new long[0]));
        // one page: root, one table at each of the three lower levels
        assertEquals(4, HardwareCost.fourLevelFrames(new long[] { 0x1000 }));
        // two pages 2 MiB apart in the same GiB: a second leaf table only
        assertEquals(5, HardwareCost.fourLevelFrames(new long[] { 0, 2L << 20 }));
        // one page per 2 MiB over 1 TiB: 524,288 leaf tables, 1,024 directories, 2 upper tables, the root
        long[] sparse = new long[1 << 19];
        for (int i = 0; i < sparse.length; i++) {
            sparse[i] = (long) i << 21;
        }
        assertEquals(524_288 + 1_024 + 2 + 1, HardwareCost.fourLevelFrames(sparse));
    }
}
