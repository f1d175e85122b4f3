package dev.ioasid.bench.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import dev.ioasid.api.IovaRange;
import dev.ioasid.bench.backend.Rig;

class PlacementTest {
    static final long M = 1L << 20;
    static final long G = 1L << 30;
    /** The mock's aperture. */
    static final IovaRange MOCK = new IovaRange(16 * M, 2 * G - 1);
    static final IovaRange WIDE = new IovaRange(0, (1L << 48) - 1);

    @Test
    void four_kib_and_one_gib_leaves_are_placed_naturally_aligned() {
        assertEquals(16 * M, MapSweepBench.placement(MOCK, M, 4096));
        assertEquals(G, MapSweepBench.placement(MOCK, G, 4096));
        assertEquals(G, MapSweepBench.placement(MOCK, G, G));
        assertEquals(0, MapSweepBench.placement(WIDE, 16 * G, G));
    }

    @Test
    void two_mib_leaves_get_an_iova_that_is_never_one_gib_aligned() {
        long iova = MapSweepBench.placement(MOCK, G, 2 * M);
        assertEquals(16 * M, iova);
        assertEquals(2 * M, MapSweepBench.placement(WIDE, 16 * G, 2 * M));
        assertEquals(G + 2 * M, MapSweepBench.placement(MOCK, 4 * M, 2 * M));
    }

    @Test
    void what_does_not_fit_or_is_smaller_than_its_leaf_has_no_placement() {
        assertEquals(-1, MapSweepBench.placement(MOCK, 4 * G, 4096));
        assertEquals(-1, MapSweepBench.placement(MOCK, M, 2 * M));
        assertEquals(-1, MapSweepBench.placement(MOCK, 16 * M, G));
        assertEquals(-1, Rig.place(MOCK, 2 * G, G));
    }

    @Test
    void sizes_print_and_parse_alike() {
        for (long s : MapSweepBench.SIZES) {
            assertEquals(s, MapSweepBench.parseSize(MapSweepBench.formatSize(s)));
        }
        assertEquals("4K", MapSweepBench.formatSize(4096));
    }

    @Test
    void the_sparse_pattern_is_one_page_per_two_mib_up_to_one_tib() {
        long[] mock = SparseBench.pattern(MOCK);
        assertEquals(1016, mock.length);
        assertEquals(16 * M, mock[0]);
        assertEquals(2 * G - 2 * M, mock[mock.length - 1]);
        long[] wide = SparseBench.pattern(WIDE);
        assertEquals(1 << 19, wide.length);
        assertEquals((1L << 40) - 2 * M, wide[wide.length - 1]);
    }
}
