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

    /** True for the selftest mock: cases that use its test-only behaviour run only then. */
    boolean isSelftestMock();

    /** Valid vendor data for a nested HWPT, and its type. */
    int nestedDataType();

    byte[] nestedData();
}
