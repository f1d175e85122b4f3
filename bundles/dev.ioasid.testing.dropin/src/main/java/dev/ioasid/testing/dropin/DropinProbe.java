package dev.ioasid.testing.dropin;

import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * A service that only exists while this bundle is deployed. The integration tests copy this bundle into the
 * FileInstall directory and watch the service come and go; it is never part of the shipped runtime.
 */
@Component(service = DropinProbe.class, property = "ioasid.probe=dropin")
public final class DropinProbe {
    private final long activatedAt;

    @Activate
    public DropinProbe(Map<String, Object> properties) {
        this.activatedAt = System.nanoTime();
    }

    /** When the component was activated, in {@link System#nanoTime()} units. */
    public long activatedAt() {
        return activatedAt;
    }
}
