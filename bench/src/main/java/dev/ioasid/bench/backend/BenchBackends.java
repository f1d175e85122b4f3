package dev.ioasid.bench.backend;

import java.util.List;
import java.util.stream.Collectors;

/** Every backend the benchmarks measure. Add a backend here when its bundle lands. */
public final class BenchBackends {
    private static final List<BenchBackend> ALL = List.of(new MockBench(), new VtdBench(), new Smmuv3Bench());

    private BenchBackends() {
    }

    public static List<BenchBackend> all() {
        return ALL;
    }

    public static List<String> names() {
        return ALL.stream().map(BenchBackend::name).collect(Collectors.toList());
    }

    /** @throws IllegalArgumentException for a backend the benchmarks do not know */
    public static BenchBackend get(String name) {
        for (BenchBackend b : ALL) {
            if (b.name().equals(name)) {
                return b;
            }
        }
        throw new IllegalArgumentException("no benchmark backend " + name + "; known: " + names());
    }

    /**
     * The backend P3 measures: the issue asks for a VT-d paging domain, and until the VT-d backend lands the
     * mock stands in for it.
     */
    public static BenchBackend p3Backend() {
        for (BenchBackend b : ALL) {
            if (b.name().equals("vtd")) {
                return b;
            }
        }
        return get("mock");
    }
}
