package dev.ioasid.spi;

import org.osgi.annotation.versioning.ConsumerType;

/** Receives the raw event records of a vIOMMU's virtual devices (implemented by the core). */
@ConsumerType
@FunctionalInterface
public interface ViommuEventSink {

    /** An event of the device with this virtual id; {@code record} is in the hardware format with that id. */
    void event(long virtId, byte[] record);
}
