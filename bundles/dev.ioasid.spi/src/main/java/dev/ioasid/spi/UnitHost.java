package dev.ioasid.spi;

import org.osgi.annotation.versioning.ConsumerType;

import dev.ioasid.machine.PendingFault;

/** What the core offers a unit: where it reports events and page requests. Implemented by the core. */
@ConsumerType
public interface UnitHost {

    /** An unrecoverable event was logged by the unit (for event queues and listeners). */
    void event(UnitEvent event);

    /**
     * A recoverable fault, already recorded in the unit's own queue. The core routes it to the fault queue of
     * the HWPT attached at (device, PASID); when there is none it answers INVALID at once through
     * {@link IommuUnit#pageResponse}. A request of a group already pending joins that group: no duplicate.
     *
     * @return what the faulting DMA waits on; the unit returns it in its {@code TranslationFault}
     */
    PendingFault pageRequest(PageRequest request);
}
