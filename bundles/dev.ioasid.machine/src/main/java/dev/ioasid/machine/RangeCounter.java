package dev.ioasid.machine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reference counts over ranges of a 64-bit index space, stored as runs: {@code [start, end)} with a count.
 * Pinning a gigabyte of pages is one run, not a quarter of a million counters. Not thread-safe.
 */
public final class RangeCounter {
    /** start to {end, count}; runs never overlap, counts are > 0. */
    private final TreeMap<Long, long[]> runs = new TreeMap<>();

    /**
     * Adds {@code delta} to every index in {@code [start, end)}.
     *
     * @return the runs whose count fell to 0, as {start, end} pairs (only when delta is negative)
     * @throws IllegalStateException when a count would go below 0
     */
    public List<long[]> add(long start, long end, int delta) {
        List<long[]> zeroed = new ArrayList<>();
        if (start >= end || delta == 0) {
            return zeroed;
        }
        if (delta < 0) {
            // all or nothing: every index of the range must hold at least -delta
            long pos = start;
            while (pos < end) {
                Map.Entry<Long, long[]> e = runs.floorEntry(pos);
                if (e == null || e.getValue()[0] <= pos || e.getValue()[1] + delta < 0) {
                    throw new IllegalStateException("count below zero at " + pos);
                }
                pos = e.getValue()[0];
            }
        }
        split(start);
        split(end);
        // walk [start, end): existing runs and the gaps between them
        long pos = start;
        List<long[]> toPut = new ArrayList<>();
        for (Map.Entry<Long, long[]> e : new ArrayList<>(runs.subMap(start, true, end, false).entrySet())) {
            long s = e.getKey();
            long[] v = e.getValue();
            if (s > pos) {
                gap(pos, s, delta, toPut);
            }
            long count = v[1] + delta;
            if (count == 0) {
                runs.remove(s);
                zeroed.add(new long[] { s, v[0] });
            } else {
                v[1] = count;
            }
            pos = v[0];
        }
        if (pos < end) {
            gap(pos, end, delta, toPut);
        }
        for (long[] r : toPut) {
            runs.put(r[0], new long[] { r[1], r[2] });
        }
        merge(start, end);
        return coalesce(zeroed);
    }

    private static void gap(long s, long e, int delta, List<long[]> out) {
        if (delta < 0) {
            throw new IllegalStateException("count below zero at " + s);
        }
        out.add(new long[] { s, e, delta });
    }

    /** Makes {@code at} the start of a run if a run spans it. */
    private void split(long at) {
        Map.Entry<Long, long[]> e = runs.lowerEntry(at);
        if (e != null && e.getValue()[0] > at) {
            long[] v = e.getValue();
            runs.put(at, new long[] { v[0], v[1] });
            v[0] = at;
        }
    }

    private void merge(long start, long end) {
        Long k = runs.lowerKey(start);
        if (k == null) {
            k = runs.ceilingKey(start);
        }
        while (k != null && k <= end) {
            long[] v = runs.get(k);
            long[] next = runs.get(v[0]);
            if (next != null && next[1] == v[1]) {
                runs.remove(v[0]);
                v[0] = next[0];
                continue;
            }
            k = runs.higherKey(k);
        }
    }

    private static List<long[]> coalesce(List<long[]> ranges) {
        List<long[]> out = new ArrayList<>();
        for (long[] r : ranges) {
            if (!out.isEmpty() && out.get(out.size() - 1)[1] == r[0]) {
                out.get(out.size() - 1)[1] = r[1];
            } else {
                out.add(r);
            }
        }
        return out;
    }

    /** The count at {@code index}. */
    public int get(long index) {
        Map.Entry<Long, long[]> e = runs.floorEntry(index);
        return e != null && e.getValue()[0] > index ? (int) e.getValue()[1] : 0;
    }

    /** The sum over every index of its count. */
    public long total() {
        long t = 0;
        for (Map.Entry<Long, long[]> e : runs.entrySet()) {
            t += (e.getValue()[0] - e.getKey()) * e.getValue()[1];
        }
        return t;
    }

    /** The sum of counts over {@code [start, end)}. */
    public long total(long start, long end) {
        long t = 0;
        Long from = runs.floorKey(start);
        for (Map.Entry<Long, long[]> e : runs.tailMap(from == null ? start : from, true).entrySet()) {
            long s = Math.max(e.getKey(), start);
            long en = Math.min(e.getValue()[0], end);
            if (e.getKey() >= end) {
                break;
            }
            if (en > s) {
                t += (en - s) * e.getValue()[1];
            }
        }
        return t;
    }

    /** True when no index has a count. */
    public boolean isEmpty() {
        return runs.isEmpty();
    }

    /** Number of runs (for footprint measurements). */
    public int runs() {
        return runs.size();
    }
}
