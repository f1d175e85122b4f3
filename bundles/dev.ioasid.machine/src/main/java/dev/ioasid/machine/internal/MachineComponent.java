package dev.ioasid.machine.internal;

import java.nio.file.Path;

import org.osgi.annotation.bundle.Capability;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ioasid.machine.Machine;
import dev.ioasid.machine.MachineDescription;

/**
 * Builds the machine at start and registers it as a service: from the file named by the {@code ioasid.machine}
 * property (framework or system), or the built-in demo machine.
 */
@Component(immediate = true, service = {})
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=dev.ioasid.machine.Machine", uses = Machine.class)
public final class MachineComponent {
    public static final String MACHINE_PROPERTY = "ioasid.machine";
    private static final Logger LOG = LoggerFactory.getLogger(MachineComponent.class);

    private final ServiceRegistration<Machine> registration;

    @Activate
    public MachineComponent(BundleContext context) {
        String file = context.getProperty(MACHINE_PROPERTY);
        MachineDescription description = file == null || file.isBlank() ? MachineDescription.builtIn()
                : MachineDescription.load(Path.of(file));
        Machine machine = new Machine(description);
        LOG.info("{} from {}", machine, file == null || file.isBlank() ? "the built-in demo description" : file);
        registration = context.registerService(Machine.class, machine, null);
    }

    @Deactivate
    void deactivate() {
        registration.unregister();
    }
}
