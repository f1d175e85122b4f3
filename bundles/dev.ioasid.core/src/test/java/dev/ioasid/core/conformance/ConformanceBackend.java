package dev.ioasid.core.conformance;

import java.util.List;

import dev.ioasid.api.IovaRange;
import dev.ioasid.machine.Machine;
import dev.ioasid.spi.IommuUnit;

/**
 * What a backend provides to run the conformance suite against its hardware model. The suite's machine has one
 * unit, {@code u0}, described by {@link #unitLine()}, with the devices of {@link ConformanceBase#DEVICES}
 * behind it.
 */
public interface ConformanceBackend {

    /** Shown in test names. */
    String name();

    /** The machine description line of unit {@code u0}, e.g. {@code unit u0 mock fail-pasid=1024}. */
    String unitLine();

    /** Builds the hardware model of every unit of the machine this backend drives. */
    List<IommuUnit> start(Machine machine);

    /** The backend goes away: it frees everything {@link #start} built. */
    void stop(List<IommuUnit> units);

    /** The granule of an automatic paging domain: the IOAS alignment once one is attached. */
    long granule();

    /** The IOVA aperture of an automatic paging domain. */
    IovaRange aperture();

    /** The reserved regions the unit reports for every device (an MSI window), enforced at RID attach. */
    default List<IovaRange> deviceReserved() {
        return List.of();
    }

    /** The IOVA ranges of an IOAS once a device of the unit is attached: the aperture minus the reserved regions. */
    default List<IovaRange> attachedRanges() {
        List<IovaRange> out = new java.util.ArrayList<>();
        long pos = aperture().start();
        List<IovaRange> res = new java.util.ArrayList<>(deviceReserved());
        res.sort((a, b) -> Long.compareUnsigned(a.start(), b.start()));
        for (IovaRange r : res) {
            if (!aperture().intersects(r)) {
                continue;
            }
            if (Long.compareUnsigned(pos, r.start()) < 0) {
                out.add(new IovaRange(pos, r.start() - 1));
            }
            pos = r.last() + 1;
        }
        if (Long.compareUnsigned(pos, aperture().last()) <= 0) {
            out.add(new IovaRange(pos, aperture().last()));
        }
        return out;
    }

    /** The max_pasid_log2 get_hw_info reports for a device with a 20-bit PASID capability (the unit's PASID width). */
    default int pasidWidth() {
        return 20;
    }

    /**
     * Whether a nested HWPT is attached per (RID, PASID) and may carry the PASID flag (VT-d). False when the guest
     * owns the whole PASID table and a nested HWPT is attached per RID, covering every PASID (SMMUv3, AMD; [T4]).
     */
    default boolean nestsPerPasid() {
        return true;
    }

    /** True for the selftest mock: cases that use its test-only behaviour run only then. */
    boolean isSelftestMock();

    /** Valid vendor data for a nested HWPT, and its type. */
    int nestedDataType();

    byte[] nestedData();
}
