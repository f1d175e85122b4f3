package dev.ioasid.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One open /dev/iommu: usually one per VM or process.
 * <p>
 * Objects created through a context get ids from 1 and are only visible through it: an id of another context
 * is ENOENT. Closing the context destroys everything in it, dependents first.
 */
@ProviderType
public interface Context extends AutoCloseable {

    /** The name given at open; unique among open contexts. */
    String name();

    /** False once {@link #close()} has run. */
    boolean isOpen();

    /** Destroys everything in the context, dependents first, and unbinds its devices. Idempotent. */
    @Override
    void close();
}
