package dev.ioasid.bench;

/**
 * How long each group of benchmarks runs. {@link #SHORT} takes about five minutes on two cores with the mock alone
 * and about ten with mock, vtd and smmuv3; {@link #FULL} runs more iterations and forks for tighter figures.
 *
 * @param forks         JMH forks of each time benchmark
 * @param warmup        warmup iterations of one second (time benchmarks) or one batch (batch benchmarks)
 * @param iterations    measurement iterations, likewise
 * @param sweepWarmup   warmup iterations of each point of P3's chart
 * @param sweepIterations measurement iterations of each point of P3's chart
 * @param faultBatch    fault round trips (and ping-pongs) per P5 iteration
 * @param areasBatch    4 KiB maps per P7 iteration
 * @param memoryRuns    fresh 1 GiB maps measured for P4, and sparse patterns for P7
 * @param starts        measured starts of each jar for P8 (after one unmeasured start)
 */
public record Profile(String name, int forks, int warmup, int iterations, int sweepWarmup, int sweepIterations, int faultBatch, int areasBatch,
        int memoryRuns, int starts) {

    public static final Profile SHORT = new Profile("short", 1, 2, 5, 1, 2, 2000, 20_000, 1, 6);
    public static final Profile FULL = new Profile("full", 2, 5, 10, 2, 5, 5000, 50_000, 3, 15);
}
