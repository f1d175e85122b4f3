package dev.ioasid.consumer.vdpa.internal;

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

import dev.ioasid.api.DomainService;
import dev.ioasid.api.EndpointService;
import dev.ioasid.api.Errno;
import dev.ioasid.api.IoasidService;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.PciAddress;
import dev.ioasid.consumer.vdpa.VdpaDevice;
import dev.ioasid.consumer.vdpa.VdpaService;
import dev.ioasid.machine.Machine;
import dev.ioasid.machine.PciDevice;

/**
 * The vhost-vdpa driver: a simulated vdpa_sim_net for every machine device with {@code vdpa=net} (and an
 * optional {@code mac=52:54:00:12:34:56}). Its references to the core are static and mandatory, so SCR
 * deactivates it (closing every device) before the core goes, and makes a new one when the core is back.
 */
@Component(immediate = true)
public final class VdpaComponent implements VdpaService {
    /** The machine device setting that makes a device a vDPA device, and its one model. */
    public static final String VDPA_PROPERTY = "vdpa";
    public static final String NET = "net";
    public static final String MAC_PROPERTY = "mac";
    private static final Logger LOG = LoggerFactory.getLogger(VdpaComponent.class);

    private final Machine machine;
    /** fixed at construction */
    private final Map<PciAddress, VdpaDeviceImpl> devices = new LinkedHashMap<>();

    @Activate
    public VdpaComponent(@Reference(name = "machine") Machine machine, @Reference(name = "endpoints") EndpointService endpoints,
            @Reference(name = "domains") DomainService domains, @Reference(name = "ioasids") IoasidService ioasids) {
        this.machine = machine;
        for (PciDevice d : machine.devices()) {
            String model = d.properties().get(VDPA_PROPERTY);
            if (model == null) {
                continue;
            }
            if (!NET.equals(model)) {
                LOG.warn("vdpa: device {} asks for model {}; only {} exists", d, model, NET);
                continue;
            }
            devices.put(d.address(), new VdpaDeviceImpl(d, mac(d), endpoints, domains, ioasids, machine.dma()));
        }
        LOG.info("vdpa: {} device(s): {}", devices.size(), devices.values());
    }

    /** The {@code mac=} setting, or a locally administered address made from the device's RID. */
    static byte[] mac(PciDevice d) {
        String text = d.properties().get(MAC_PROPERTY);
        if (text != null) {
            try {
                return NetSim.parseMac(text);
            } catch (IllegalArgumentException e) {
                LOG.warn("vdpa: device {}: {}; using the default", d, e.getMessage());
            }
        }
        int rid = d.rid();
        return new byte[] { 0x52, 0x54, 0x00, (byte) d.address().segment(), (byte) (rid >> 8), (byte) rid };
    }

    @Override
    public List<VdpaDevice> devices() {
        return Collections.unmodifiableList(new ArrayList<>(devices.values()));
    }

    @Override
    public VdpaDevice device(String nameOrAddress) {
        PciDevice d;
        try {
            d = machine.device(nameOrAddress);
        } catch (IommuException e) {
            throw IommuException.of(Errno.ENODEV, "no device %s on the machine", nameOrAddress);
        }
        VdpaDeviceImpl v = devices.get(d.address());
        if (v == null) {
            throw IommuException.of(Errno.ENODEV, "device %s is not a vDPA device (no vdpa=net setting)", d);
        }
        return v;
    }

    /** Closes every device: the core is going away, or this bundle is. */
    @Deactivate
    public void deactivate() {
        for (VdpaDeviceImpl d : devices.values()) {
            try {
                d.close();
            } catch (RuntimeException e) {
                LOG.warn("vdpa: closing {} failed: {}", d, e.toString());
            }
        }
        LOG.info("vdpa: stopped");
    }
}
