package dev.ioasid.bench.report;

/** What hardware page tables cost, as arithmetic: the baselines of P4 and P7's sparse pattern. */
public final class HardwareCost {
    /** Bytes per 4 KiB page mapped densely: an 8-byte PTE plus 1/512 of the table entry above its table. */
    public static final double DENSE_BYTES_PER_PAGE = 8 * (1 + 1 / 512.0);

    private HardwareCost() {
    }

    /**
     * Table frames a 4-level table of 512 eight-byte entries per 4 KiB frame (x86-64 paging, VT-d second stage,
     * a 48-bit VMSAv8-64 4 KiB-granule table) needs to map a 4 KiB page at each IOVA: the root, and one table per
     * distinct 512 GiB, 1 GiB and 2 MiB region touched. The IOVAs must be in ascending order.
     */
    public static long fourLevelFrames(long[] iovas) {
        long frames = 1;
        for (int shift : new int[] { 39, 30, 21 }) {
            long last = -1;
            for (long iova : iovas) {
                long region = iova >>> shift;
                if (region != last) {
                    frames++;
                    last = region;
                }
            }
        }
        return frames;
    }
}
