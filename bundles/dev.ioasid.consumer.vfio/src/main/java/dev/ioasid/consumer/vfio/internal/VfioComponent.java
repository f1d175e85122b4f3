package dev.ioasid.consumer.vfio.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ioasid.api.EndpointService;
import dev.ioasid.api.Errno;
import dev.ioasid.api.IoasidService;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.PciAddress;
import dev.ioasid.consumer.vfio.VfioDevice;
import dev.ioasid.consumer.vfio.VfioService;
import dev.ioasid.machine.Machine;
import dev.ioasid.machine.PciDevice;

/**
 * The VFIO driver: a cdev for every assignable machine device. Its references to the core are static and
 * mandatory, so SCR deactivates it (closing every cdev) before the core goes, and makes a new one when the core
 * is back.
 */
@Component(immediate = true)
public final class VfioComponent implements VfioService {
    /** A machine device with this setting belongs to vhost-vdpa, not to VFIO. */
    public static final String VDPA_PROPERTY = "vdpa";
    private static final Logger LOG = LoggerFactory.getLogger(VfioComponent.class);

    private final Machine machine;
    /** fixed at construction */
    private final Map<PciAddress, VfioDeviceImpl> devices = new LinkedHashMap<>();

    @Activate
    public VfioComponent(@Reference(name = "machine") Machine machine, @Reference(name = "endpoints") EndpointService endpoints,
            @Reference(name = "ioasids") IoasidService ioasids) {
        this.machine = machine;
        for (PciDevice d : machine.devices()) {
            if (d.properties().containsKey(VDPA_PROPERTY)) {
                continue;
            }
            devices.put(d.address(), new VfioDeviceImpl(d, endpoints, ioasids, machine.dma()));
        }
        LOG.info("vfio: {} device(s): {}", devices.size(), devices.values());
    }

    @Override
    public List<VfioDevice> devices() {
        return Collections.unmodifiableList(new ArrayList<>(devices.values()));
    }

    @Override
    public VfioDevice device(String nameOrAddress) {
        PciDevice d;
        try {
            d = machine.device(nameOrAddress);
        } catch (IommuException e) {
            throw IommuException.of(Errno.ENODEV, "no device %s on the machine", nameOrAddress);
        }
        VfioDeviceImpl v = devices.get(d.address());
        if (v == null) {
            throw IommuException.of(Errno.ENODEV, "device %s is not assignable to VFIO (it belongs to vhost-vdpa)", d);
        }
        return v;
    }

    /** Closes every cdev: the core is going away, or this bundle is. */
    @Deactivate
    public void deactivate() {
        for (VfioDeviceImpl d : devices.values()) {
            try {
                d.close();
            } catch (RuntimeException e) {
                LOG.warn("vfio: closing {} failed: {}", d, e.toString());
            }
        }
        LOG.info("vfio: stopped");
    }
}
