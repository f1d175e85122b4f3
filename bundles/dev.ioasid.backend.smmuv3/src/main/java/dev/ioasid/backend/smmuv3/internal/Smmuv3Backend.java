package dev.ioasid.backend.smmuv3.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Hashtable;
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

import dev.ioasid.backend.smmuv3.Smmuv3Nesting;
import dev.ioasid.machine.Machine;
import dev.ioasid.machine.UnitDescription;
import dev.ioasid.spi.IommuUnit;

/**
 * Drives every unit of vendor {@code smmuv3} in the machine: one {@link IommuUnit} service per unit (also
 * registered as {@link Smmuv3Nesting}). Settings come from the machine description and may be overridden through
 * Config Admin, PID {@value #PID}, with properties {@code <unitId>.<setting>} (for example
 * {@code smmu0.profile=minimal}). A configuration change re-activates the component: every unit is registered
 * again and the core rebuilds what it had on it.
 */
@Component(immediate = true, service = {}, configurationPid = Smmuv3Backend.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=dev.ioasid.spi.IommuUnit", uses = IommuUnit.class)
public final class Smmuv3Backend {
    public static final String PID = "dev.ioasid.backend.smmuv3";
    public static final String VENDOR = "smmuv3";
    private static final Logger LOG = LoggerFactory.getLogger(Smmuv3Backend.class);

    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();
    private final List<Smmuv3Unit> units = new ArrayList<>();

    @Activate
    public Smmuv3Backend(BundleContext context, @Reference Machine machine, Map<String, Object> config) {
        for (Smmuv3Unit unit : createUnits(machine, config)) {
            Hashtable<String, Object> props = new Hashtable<>();
            props.put(IommuUnit.UNIT, unit.description().id());
            props.put(IommuUnit.VENDOR, VENDOR);
            props.put("ioasid.profile", unit.profile());
            units.add(unit);
            registrations.add(context.registerService(new String[] { IommuUnit.class.getName(), Smmuv3Nesting.class.getName() }, unit, props));
            LOG.info("smmuv3 backend drives unit {} ({} profile)", unit.description().id(), unit.profile());
        }
    }

    /** The settings of one unit: the machine description's, overridden by {@code <unitId>.<key>} of the configuration. */
    static Map<String, String> settings(UnitDescription unit, Map<String, Object> config) {
        Map<String, String> s = new HashMap<>(unit.properties());
        String prefix = unit.id() + ".";
        if (config != null) {
            config.forEach((k, v) -> {
                if (k.startsWith(prefix) && v != null) {
                    s.put(k.substring(prefix.length()), v.toString());
                }
            });
        }
        return s;
    }

    /** Builds the units of vendor smmuv3; a unit whose settings are wrong is skipped with an error. */
    static List<Smmuv3Unit> createUnits(Machine machine, Map<String, Object> config) {
        List<Smmuv3Unit> out = new ArrayList<>();
        for (UnitDescription u : machine.units()) {
            if (!VENDOR.equals(u.vendor())) {
                continue;
            }
            try {
                out.add(new Smmuv3Unit(u, machine.frames(), machine.devicesBehind(u.id()), settings(u, config)));
            } catch (IllegalArgumentException e) {
                LOG.error("smmuv3 unit {} not started: {}", u.id(), e.getMessage());
            }
        }
        return out;
    }

    @Deactivate
    void deactivate() {
        for (ServiceRegistration<?> r : registrations) {
            r.unregister();
        }
        for (Smmuv3Unit u : units) {
            u.shutdown();
        }
        LOG.info("smmuv3 backend stopped: units {} have no hardware model", units);
    }
}
