package dev.ioasid.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;

import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

import dev.ioasid.api.Context;
import dev.ioasid.api.ContextService;
import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;

/** The shipped runtime wires up: every bundle and every DS component is up, and the API answers. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class PlatformIT extends RuntimeTestSupport {

    @Inject
    ServiceComponentRuntime scr;

    @Inject
    ContextService contexts;

    @Test
    public void everyBundleIsActiveAndEveryFragmentResolved() {
        List<String> wrong = new ArrayList<>();
        int ours = 0;
        for (Bundle b : context.getBundles()) {
            boolean fragment = (b.adapt(BundleRevision.class).getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
            int expected = fragment ? Bundle.RESOLVED : Bundle.ACTIVE;
            if (b.getState() != expected) {
                wrong.add(b.getSymbolicName() + " state " + b.getState());
            }
            if (b.getSymbolicName().startsWith("dev.ioasid.")) {
                ours++;
            }
        }
        assertTrue("bundles not up: " + wrong, wrong.isEmpty());
        assertTrue("the ioasid bundles are installed", ours >= RuntimeTestSupport.runBundles().stream()
                .filter(f -> f.getName().startsWith("dev.ioasid.")).count());
    }

    @Test
    public void everyComponentIsActiveOrSatisfied() {
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (ComponentDescriptionDTO desc : scr.getComponentDescriptionDTOs()) {
            if (!scr.isComponentEnabled(desc)) {
                wrong.add(desc.name + " disabled");
                continue;
            }
            var configs = scr.getComponentConfigurationDTOs(desc);
            if (configs.isEmpty()) {
                wrong.add(desc.name + " has no configuration");
            }
            for (ComponentConfigurationDTO c : configs) {
                checked++;
                if (c.state != ComponentConfigurationDTO.ACTIVE && c.state != ComponentConfigurationDTO.SATISFIED) {
                    wrong.add(desc.name + " state " + c.state + " unsatisfied references "
                            + java.util.Arrays.toString(c.unsatisfiedReferences));
                }
            }
        }
        assertTrue("components not up: " + wrong, wrong.isEmpty());
        assertTrue("the runtime has ioasid components", checked >= 3);
    }

    @Test
    public void theApiAnswersThroughTheCoreComponent() {
        Context ctx = contexts.open("platform-it");
        try {
            assertEquals("platform-it", contexts.context("platform-it").name());
            IommuException e = assertThrowsIommu(() -> contexts.open("platform-it"));
            assertEquals(Errno.EEXIST, e.errno());
        } finally {
            ctx.close();
        }
        assertFalse(ctx.isOpen());
        assertEquals(Errno.ENOENT, assertThrowsIommu(() -> contexts.context("platform-it")).errno());
    }

    static IommuException assertThrowsIommu(Runnable r) {
        try {
            r.run();
        } catch (IommuException e) {
            return e;
        }
        throw new AssertionError("expected an IommuException");
    }
}
