package dev.ioasid.api;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One open /dev/iommu: usually one per VM or process. It is the handle every service call takes.
 * <p>
 * Objects created through a context get ids from 1, looked up by type, and are only visible through it: an id
 * of another context is ENOENT. Closing the context destroys everything in it, dependents first, and unbinds
 * its devices.
 */
@ProviderType
public interface Context extends AutoCloseable {

    /** The name given at open; unique among open contexts. */
    String name();

    /** False once {@link #close()} has run. */
    boolean isOpen();

    /** The user address space of this context (the process or VM whose memory it maps). */
    UserMemory memory();

    /** Every object, in id order, with what it depends on. */
    List<ObjectInfo> objects();

    /**
     * IOMMU_DESTROY: destroys an object by id. A bound device is in use by its binding, as in iommufd: destroying
     * it is EBUSY, and {@link EndpointService#unbind} releases it.
     *
     * @throws IommuException ENOENT if there is no such object, EBUSY for a device or while something depends on it
     */
    void destroy(int id);

    /** Destroys everything in the context, dependents first, and unbinds its devices. Idempotent. */
    @Override
    void close();
}
