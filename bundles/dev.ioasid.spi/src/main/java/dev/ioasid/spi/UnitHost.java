package dev.ioasid.spi;

import org.osgi.annotation.versioning.ConsumerType;

/** What the core offers a unit: where it reports events and page requests. Implemented by the core. */
@ConsumerType
public interface UnitHost {

    /** An unrecoverable event was logged by the unit (for event queues and listeners). */
    void event(UnitEvent event);
}
