package dev.ioasid.consumer.vdpa;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

import dev.ioasid.api.IommuException;

/**
 * The vhost-vdpa devices of the machine (/dev/vhost-vdpa-N): one {@link VdpaDevice} for each machine device with
 * the setting {@code vdpa=net}, a simulated vdpa_sim_net.
 */
@ProviderType
public interface VdpaService {

    /** Every device, in PCI address order. */
    List<VdpaDevice> devices();

    /**
     * A device by its machine name or its PCI address written as text.
     *
     * @throws IommuException ENODEV when the machine has no such device or it is not a vDPA device
     */
    VdpaDevice device(String nameOrAddress);
}
