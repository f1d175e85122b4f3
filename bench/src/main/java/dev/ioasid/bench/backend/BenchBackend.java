package dev.ioasid.bench.backend;

import java.util.List;

import dev.ioasid.api.IovaRange;
import dev.ioasid.machine.Machine;
import dev.ioasid.spi.IommuUnit;

/**
 * One hardware model as the benchmarks see it. Adding a backend to every figure is one class implementing this
 * and one line in {@link BenchBackends}: the benchmarks build everything else through the core's API.
 * <p>
 * The rig's machine has one unit, {@link Rig#UNIT}, described by {@link #unitLine}, with {@link Rig#DEVICES}
 * PRI-capable PCI devices behind it.
 */
public interface BenchBackend {

    /** The name in the report and in {@code -p backend=...}: mock, vtd, smmuv3. */
    String name();

    /** What the report says the backend is, e.g. "mock (selftest format, 4 KiB granule)". */
    String description();

    /** The machine description line of the unit, e.g. {@code unit u0 mock pagesize=4096}. */
    String unitLine(String unitId);

    /** Builds the hardware model of every unit of the machine (what the backend's OSGi component does). */
    List<IommuUnit> start(Machine machine);

    /** The backend goes away: frees everything {@link #start} built. */
    void stop(List<IommuUnit> units);

    /** Where an IOAS with a device of the unit attached may map: the aperture minus reserved regions. */
    IovaRange mappable();

    /** Frames of simulated memory held by the tables of every live domain of the units. */
    long tableFrames(List<IommuUnit> units);

    /** The flat walk that P2 measures, for the report: "4-level second stage", "3-level mock format". */
    String flatWalk();

    /** The nested walk that P2 measures, for the report. */
    String nestedWalk();

    /**
     * P2's nested setup: a nested HWPT on {@code parentHwptId} (a NEST_PARENT paging HWPT of the IOAS that maps
     * {@code [iova, iova + length)}) whose stage 1 translates that range to the same addresses, with
     * {@code devId}'s RID attached to it. A backend with a real stage 1 builds its table in the context's user
     * memory.
     *
     * @return the nested HWPT id
     */
    int attachNested(Rig rig, int devId, int parentHwptId, long iova, long length);

    /** Pages in P1's working set: few enough that every one stays in the IOTLB. */
    default int hitWorkingSet() {
        return 8;
    }

    /**
     * Builds an attached domain with {@code pages} 4 KiB pages mapped: an IOAS, {@code devices} devices of the
     * rig attached to it (one automatic paging HWPT, shared), and one map of user memory. A backend overrides it
     * only when attach needs more than the core's API.
     */
    default Rig.Attached attachMapped(Rig rig, int devices, long pages, boolean hugePages) {
        return rig.attachMapped(devices, pages, hugePages);
    }
}
