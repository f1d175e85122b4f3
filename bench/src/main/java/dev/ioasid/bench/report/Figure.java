package dev.ioasid.bench.report;

import java.util.Locale;

/**
 * One line of the report: {@code <id> <subject> ratio=<x> goal=<y> <MEETS|MISSES>}. A figure without a ratio
 * (its benchmark or its baseline failed) misses, and says why in its detail.
 *
 * @param id      P1 to P8
 * @param subject what was measured, against what
 * @param ratio   the figure over its baseline, NaN when there is none
 * @param goal    the bound the ratio must meet
 * @param detail  the numbers behind the ratio, for docs/benchmarks.md
 */
public record Figure(String id, String subject, double ratio, Goal goal, String detail) {

    /** A bound on a ratio: at most or at least {@code value}. */
    public record Goal(boolean atMost, double value) {
        public static Goal atMost(double v) {
            return new Goal(true, v);
        }

        public static Goal atLeast(double v) {
            return new Goal(false, v);
        }

        public boolean test(double ratio) {
            return !Double.isNaN(ratio) && (atMost ? ratio <= value : ratio >= value);
        }

        @Override
        public String toString() {
            return (atMost ? "<=" : ">=") + format(value);
        }
    }

    public boolean meets() {
        return goal.test(ratio);
    }

    public String line() {
        return String.format(Locale.ROOT, "%s %s ratio=%s goal=%s %s", id, subject, Double.isNaN(ratio) ? "n/a" : format(ratio), goal,
                meets() ? "MEETS" : "MISSES");
    }

    /** Three significant digits, or whole numbers from 1000 up. */
    public static String format(double v) {
        double a = Math.abs(v);
        if (a >= 1000) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return String.format(Locale.ROOT, "%.3f", v);
    }
}
