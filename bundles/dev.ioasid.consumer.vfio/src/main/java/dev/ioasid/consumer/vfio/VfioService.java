package dev.ioasid.consumer.vfio;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

import dev.ioasid.api.IommuException;

/**
 * The VFIO cdevs of the machine: one {@link VfioDevice} for each assignable PCI device, that is every machine
 * device that is not claimed by another driver (a device with a {@code vdpa=} setting belongs to vhost-vdpa).
 */
@ProviderType
public interface VfioService {

    /** Every device object, in PCI address order. */
    List<VfioDevice> devices();

    /**
     * The device object of a machine device, by its name or its PCI address written as text.
     *
     * @throws IommuException ENODEV when the machine has no such device or it is not assignable
     */
    VfioDevice device(String nameOrAddress);
}
