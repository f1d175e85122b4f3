package dev.ioasid.backend.vtd.internal;

import java.util.ArrayList;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.osgi.annotation.bundle.Capability;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ioasid.machine.Machine;
import dev.ioasid.machine.UnitDescription;
import dev.ioasid.spi.IommuUnit;

/**
 * Drives every unit of vendor {@code vtd} in the machine: one {@link IommuUnit} service per unit.
 * <p>
 * Configuration (PID {@value #PID}, optional): {@code <unit>.<setting>} overrides a setting of that unit's line
 * in the machine description, e.g. {@code vtd0.profile=legacy} or {@code vtd0.iotlb=64}; the component
 * property type {@link Config} gives defaults for every unit. A configuration change deactivates the component
 * and activates it again: the unit services are registered anew and the core rebuilds every domain on them.
 */
@Component(immediate = true, service = {}, configurationPid = VtdBackend.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=dev.ioasid.spi.IommuUnit", uses = IommuUnit.class)
public final class VtdBackend {
    public static final String PID = "dev.ioasid.backend.vtd";
    public static final String VENDOR = "vtd";
    private static final Logger LOG = LoggerFactory.getLogger(VtdBackend.class);

    /** Defaults for every VT-d unit; a unit's own settings and {@code <unit>.<setting>} properties win. */
    public @interface Config {
        /** The capability profile of units whose machine description names none. */
        String profile() default "server";

        /** IOTLB entries (a power of two); 0 keeps the profile's. */
        int iotlb() default 0;
    }

    private final List<ServiceRegistration<IommuUnit>> registrations = new ArrayList<>();
    private final List<VtdUnit> units = new ArrayList<>();

    @Activate
    public VtdBackend(BundleContext context, @Reference Machine machine, Config config, Map<String, Object> properties) {
        for (UnitDescription u : machine.units()) {
            if (!VENDOR.equals(u.vendor())) {
                continue;
            }
            UnitDescription resolved = resolve(u, config, properties);
            VtdUnit unit;
            try {
                unit = VtdUnit.of(resolved, machine.frames());
            } catch (RuntimeException e) {
                LOG.error("VT-d unit {} not started: {}", u.id(), e.getMessage());
                continue;
            }
            Hashtable<String, Object> props = new Hashtable<>();
            props.put(IommuUnit.UNIT, u.id());
            props.put(IommuUnit.VENDOR, VENDOR);
            props.put("ioasid.vtd.profile", unit.profile());
            units.add(unit);
            registrations.add(context.registerService(IommuUnit.class, unit, props));
            LOG.info("VT-d backend drives unit {}: profile {}, {}", u.id(), unit.profile(), unit.caps.describe());
        }
    }

    /**
     * The unit's settings: the profile default of the configuration, then the machine description's line, then
     * the {@code <unit>.<setting>} configuration properties.
     */
    static UnitDescription resolve(UnitDescription u, Config config, Map<String, Object> properties) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("profile", config.profile());
        if (config.iotlb() > 0) {
            settings.put("iotlb", Integer.toString(config.iotlb()));
        }
        settings.putAll(u.properties());
        String prefix = u.id() + ".";
        for (Map.Entry<String, Object> e : properties.entrySet()) {
            if (e.getKey().startsWith(prefix) && e.getValue() != null) {
                settings.put(e.getKey().substring(prefix.length()), e.getValue().toString());
            }
        }
        return new UnitDescription(u.id(), u.vendor(), settings);
    }

    @Deactivate
    void deactivate() {
        for (ServiceRegistration<IommuUnit> r : registrations) {
            r.unregister();
        }
        for (VtdUnit u : units) {
            u.shutdown();
        }
        LOG.info("VT-d backend stopped: units {} have no hardware model", units);
    }
}
