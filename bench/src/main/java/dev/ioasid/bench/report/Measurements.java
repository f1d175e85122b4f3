package dev.ioasid.bench.report;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.openjdk.jmh.results.RunResult;

/**
 * The scores of a JMH run, by benchmark method and parameters. A figure uses the median of the measurement
 * iterations: the machines are shared, and one disturbed iteration moves a mean much more than a median.
 */
public final class Measurements {
    /** One benchmark with one set of parameters. */
    public record Score(String benchmark, Map<String, String> params, double median, double mean, double error, String unit, int iterations) {
    }

    private final List<Score> scores = new ArrayList<>();

    public void add(Collection<RunResult> results) {
        for (RunResult r : results) {
            String full = r.getParams().getBenchmark();
            String name = full.substring(full.lastIndexOf('.', full.lastIndexOf('.') - 1) + 1);
            Map<String, String> params = new TreeMap<>();
            for (String k : r.getParams().getParamsKeys()) {
                params.put(k, r.getParams().getParam(k));
            }
            var stats = r.getPrimaryResult().getStatistics();
            scores.add(new Score(name, params, stats.getPercentile(50), stats.getMean(),
                    stats.getN() > 1 ? r.getPrimaryResult().getScoreError() : Double.NaN, r.getPrimaryResult().getScoreUnit(),
                    (int) stats.getN()));
        }
    }

    public void add(Score s) {
        scores.add(s);
    }

    /**
     * The score of {@code benchmark} ("Class.method") whose parameters include {@code params} (key, value,
     * key, value...), or null.
     */
    public Score find(String benchmark, String... params) {
        for (Score s : scores) {
            if (!s.benchmark().equals(benchmark)) {
                continue;
            }
            boolean all = true;
            for (int i = 0; i + 1 < params.length; i += 2) {
                all &= params[i + 1].equals(s.params().get(params[i]));
            }
            if (all) {
                return s;
            }
        }
        return null;
    }

    public List<Score> all() {
        return List.copyOf(scores);
    }
}
