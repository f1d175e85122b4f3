package dev.ioasid.backend.mock.internal;

import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;

import org.osgi.annotation.bundle.Capability;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ioasid.machine.Machine;
import dev.ioasid.machine.UnitDescription;
import dev.ioasid.spi.IommuUnit;

/** Drives every unit of vendor {@code mock} in the machine: one {@link IommuUnit} service per unit. */
@Component(immediate = true, service = {})
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=dev.ioasid.spi.IommuUnit", uses = IommuUnit.class)
public final class MockBackend {
    public static final String VENDOR = "mock";
    private static final Logger LOG = LoggerFactory.getLogger(MockBackend.class);

    private final List<ServiceRegistration<IommuUnit>> registrations = new ArrayList<>();
    private final List<MockUnit> units = new ArrayList<>();

    @Activate
    public MockBackend(BundleContext context, @Reference Machine machine) {
        for (UnitDescription u : machine.units()) {
            if (!VENDOR.equals(u.vendor())) {
                continue;
            }
            MockUnit unit = new MockUnit(u, machine.frames());
            Hashtable<String, Object> props = new Hashtable<>();
            props.put(IommuUnit.UNIT, u.id());
            props.put(IommuUnit.VENDOR, VENDOR);
            units.add(unit);
            registrations.add(context.registerService(IommuUnit.class, unit, props));
            LOG.info("mock backend drives unit {}", u.id());
        }
    }

    @Deactivate
    void deactivate() {
        for (ServiceRegistration<IommuUnit> r : registrations) {
            r.unregister();
        }
        for (MockUnit u : units) {
            u.shutdown();
        }
        LOG.info("mock backend stopped: units {} have no hardware model", units);
    }
}
