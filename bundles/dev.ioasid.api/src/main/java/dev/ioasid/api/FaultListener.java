package dev.ioasid.api;

import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A handler of IO page faults, registered as an OSGi service (whiteboard) or through
 * {@link FaultService#addListener}. It gets each fault group once, already read (cookies assigned), on a core
 * thread, and answers it with {@link FaultService#faultRespond} now or later.
 * <p>
 * Service property {@value #CONTEXT}: only groups of the context with that name (all contexts without it).
 */
@ConsumerType
public interface FaultListener {
    String CONTEXT = "ioasid.context";

    /** A fault group arrived on a fault queue of {@code ctx}. */
    void faultGroup(Context ctx, int faultQueueId, List<PageFault> group);

    /** An unrecoverable event of a device bound in {@code ctx}. */
    default void event(Context ctx, UnitEventRecord event) {
    }
}
