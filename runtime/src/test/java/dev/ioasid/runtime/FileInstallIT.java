package dev.ioasid.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.Filter;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;

/** A bundle copied into the FileInstall directory starts without a restart, and goes when its jar is deleted. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FileInstallIT extends RuntimeTestSupport {

    /** Generous bound on waiting for FileInstall's poll; the tests wait on service events, not on the clock. */
    private static final long EVENT_TIMEOUT_S = 60;

    @Test
    public void aDroppedInBundleStartsAndIsUninstalledWhenDeleted() throws Exception {
        File[] jars = new File(System.getProperty("ioasid.dropin.dir")).listFiles((d, n) -> n.endsWith(".jar"));
        assertNotNull("the drop-in probe was built", jars);
        assertEquals("exactly one drop-in probe jar: " + Arrays.toString(jars), 1, jars.length);

        Filter filter = context.createFilter("(&(objectClass=dev.ioasid.testing.dropin.DropinProbe)(ioasid.probe=dropin))");
        CountDownLatch added = new CountDownLatch(1);
        CountDownLatch removed = new CountDownLatch(1);
        ServiceTracker<Object, Object> tracker = new ServiceTracker<>(context, filter, null) {
            @Override
            public Object addingService(ServiceReference<Object> reference) {
                added.countDown();
                return reference;
            }

            @Override
            public void removedService(ServiceReference<Object> reference, Object service) {
                removed.countDown();
            }
        };
        tracker.open(true);
        try {
            assertEquals("no probe before the drop-in", 1, added.getCount());

            Path target = LOAD_DIR.resolve(jars[0].getName());
            Files.copy(jars[0].toPath(), target, StandardCopyOption.REPLACE_EXISTING);
            assertTrue("the probe service appeared", added.await(EVENT_TIMEOUT_S, TimeUnit.SECONDS));
            Bundle probe = bundle("dev.ioasid.testing.dropin");
            assertNotNull(probe);
            assertEquals(Bundle.ACTIVE, probe.getState());

            Files.delete(target);
            assertTrue("the probe service went away", removed.await(EVENT_TIMEOUT_S, TimeUnit.SECONDS));
            waitUntilUninstalled(probe);
            assertEquals(Bundle.UNINSTALLED, probe.getState());
            assertEquals(null, bundle("dev.ioasid.testing.dropin"));
        } finally {
            tracker.close();
        }
    }

    private Bundle bundle(String bsn) {
        for (Bundle b : context.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        return null;
    }

    /** The service goes before the uninstall completes; wait for the bundle event that ends it. */
    private void waitUntilUninstalled(Bundle probe) throws InterruptedException {
        CountDownLatch gone = new CountDownLatch(1);
        org.osgi.framework.BundleListener l = ev -> {
            if (ev.getBundle().getBundleId() == probe.getBundleId() && ev.getType() == org.osgi.framework.BundleEvent.UNINSTALLED) {
                gone.countDown();
            }
        };
        context.addBundleListener(l);
        try {
            if (probe.getState() != Bundle.UNINSTALLED) {
                assertTrue("the probe bundle was uninstalled", gone.await(EVENT_TIMEOUT_S, TimeUnit.SECONDS));
            }
        } finally {
            context.removeBundleListener(l);
        }
    }
}
