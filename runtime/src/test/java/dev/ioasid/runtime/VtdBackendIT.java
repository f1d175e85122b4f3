package dev.ioasid.runtime;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Hashtable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import javax.inject.Inject;

import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Filter;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

import dev.ioasid.api.Context;
import dev.ioasid.api.ContextService;
import dev.ioasid.api.DomainService;
import dev.ioasid.api.EndpointService;
import dev.ioasid.api.HwInfoType;
import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.api.MapFlags;
import dev.ioasid.api.PciAddress;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.DmaResult;
import dev.ioasid.machine.Machine;
import dev.ioasid.machine.Translator;

/**
 * The VT-d backend in the shipped runtime: the demo machine's vtd0 unit translates DMA by RID and by PASID, and
 * a Config Admin change of its profile re-registers the unit while the core keeps every mapping.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class VtdBackendIT extends RuntimeTestSupport {
    static final PciAddress DSA0 = PciAddress.parse("0000:00:04.0");
    static final String PID = "dev.ioasid.backend.vtd";
    private static final long EVENT_TIMEOUT_S = 60;

    @Inject
    ContextService contexts;
    @Inject
    DomainService domains;
    @Inject
    EndpointService endpoints;
    @Inject
    Machine machine;
    @Inject
    ConfigurationAdmin configAdmin;

    /**
     * The probe may run before SCR has activated the VT-d backend, or while the core is still taking it up: wait
     * until vtd0 is registered with the server profile and its port is driven.
     */
    @Before
    public void vtd0IsDriven() throws Exception {
        Filter f = context.createFilter("(&(objectClass=dev.ioasid.spi.IommuUnit)(ioasid.unit=vtd0)(ioasid.vtd.profile=server))");
        ServiceTracker<Object, Object> t = new ServiceTracker<>(context, f, null);
        t.open(true);
        try {
            assertTrue("vtd0 is registered", t.waitForService(TimeUnit.SECONDS.toMillis(EVENT_TIMEOUT_S)) != null);
        } finally {
            t.close();
        }
        awaitCore("the core drives vtd0", () -> machine.port("vtd0").isDriven());
    }

    @Test
    public void theVtdUnitTranslatesDmaByRidAndByPasid() {
        Context ctx = contexts.open("vtd-it");
        try {
            int dev = endpoints.bind(ctx, DSA0);
            assertEquals(HwInfoType.INTEL_VTD, endpoints.hwInfo(ctx, dev).type());
            assertEquals(20, endpoints.hwInfo(ctx, dev).maxPasidLog2());
            int host = domains.ioasAlloc(ctx);
            int vm = domains.ioasAlloc(ctx);
            int rid = domains.hwptAlloc(ctx, HwptAlloc.paging(dev, host, HwptFlags.PASID));
            int wq = domains.hwptAlloc(ctx, HwptAlloc.paging(dev, vm, HwptFlags.PASID));
            endpoints.attach(ctx, dev, rid);
            endpoints.attach(ctx, dev, wq, 42);
            long a = ctx.memory().mmap(4096);
            long b = ctx.memory().mmap(4096);
            ctx.memory().write(a, "host".getBytes(StandardCharsets.UTF_8));
            ctx.memory().write(b, "wq-2".getBytes(StandardCharsets.UTF_8));
            int rw = MapFlags.FIXED_IOVA | MapFlags.READABLE | MapFlags.WRITEABLE;
            domains.ioasMap(ctx, host, a, 4096, 0x10000, rw);
            domains.ioasMap(ctx, vm, b, 4096, 0x10000, rw);
            assertArrayEquals("host".getBytes(StandardCharsets.UTF_8), machine.dma().read(DSA0, Access.NO_PASID, 0x10000, 4).data());
            assertArrayEquals("wq-2".getBytes(StandardCharsets.UTF_8), machine.dma().read(DSA0, 42, 0x10000, 4).data());
            assertFalse(machine.dma().read(DSA0, 43, 0x10000, 4).ok());
        } finally {
            ctx.close();
        }
    }

    @Test
    public void aConfigAdminProfileChangeReRegistersTheUnitAndTheCoreRebuilds() throws Exception {
        Context ctx = contexts.open("vtd-config-it");
        Configuration cfg = configAdmin.getConfiguration(PID, "?");
        try {
            int dev = endpoints.bind(ctx, DSA0);
            int ioas = domains.ioasAlloc(ctx);
            endpoints.attach(ctx, dev, ioas);
            long buf = ctx.memory().mmap(8192);
            byte[] data = "kept across the profile change".getBytes(StandardCharsets.UTF_8);
            ctx.memory().write(buf, data);
            long iova = domains.ioasMap(ctx, ioas, buf, 8192, 0, MapFlags.READABLE | MapFlags.WRITEABLE);
            assertArrayEquals(data, machine.dma().read(DSA0, Access.NO_PASID, iova, data.length).data());

            Hashtable<String, Object> props = new Hashtable<>();
            props.put("vtd0.profile", "legacy");
            Translator server = machine.port("vtd0").translator();
            awaitUnit("legacy", () -> update(cfg, props));
            // the core reports the new unit before it has rebuilt the domains and driven the port: wait for both
            awaitCore("the core drives the legacy unit", () -> endpoints.hwInfo(ctx, dev).maxPasidLog2() == 0 && drivenBeyond(server));
            DmaResult r = machine.dma().read(DSA0, Access.NO_PASID, iova, data.length);
            assertTrue(r.toString(), r.ok());
            assertArrayEquals(data, r.data());

            Translator legacy = machine.port("vtd0").translator();
            awaitUnit("server", () -> delete(cfg));
            awaitCore("the core drives the server unit again", () -> endpoints.hwInfo(ctx, dev).maxPasidLog2() == 20 && drivenBeyond(legacy));
            assertArrayEquals(data, machine.dma().read(DSA0, Access.NO_PASID, iova, data.length).data());
        } finally {
            ctx.close();
        }
    }

    /** The port of vtd0 is driven, by another translator than {@code before}. */
    private boolean drivenBeyond(Translator before) {
        return machine.port("vtd0").isDriven() && machine.port("vtd0").translator() != before;
    }

    private static void update(Configuration cfg, Hashtable<String, Object> props) {
        try {
            cfg.update(props);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void delete(Configuration cfg) {
        try {
            cfg.delete();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Runs {@code change} and waits for the vtd0 unit service of a profile to be registered. */
    private void awaitUnit(String profile, Runnable change) throws Exception {
        Filter f = context.createFilter("(&(objectClass=dev.ioasid.spi.IommuUnit)(ioasid.unit=vtd0)(ioasid.vtd.profile=" + profile + "))");
        CountDownLatch registered = new CountDownLatch(1);
        ServiceTracker<Object, Object> t = new ServiceTracker<>(context, f, null) {
            @Override
            public Object addingService(ServiceReference<Object> reference) {
                registered.countDown();
                return reference;
            }
        };
        t.open(true);
        try {
            change.run();
            assertTrue("the " + profile + " unit was registered", registered.await(EVENT_TIMEOUT_S, TimeUnit.SECONDS));
        } finally {
            t.close();
        }
    }

    /** The condition; ENODEV (the unit has no backend for a moment) counts as not yet. */
    private static boolean holds(BooleanSupplier condition) {
        try {
            return condition.getAsBoolean();
        } catch (dev.ioasid.api.IommuException e) {
            if (e.errno() != dev.ioasid.api.Errno.ENODEV) {
                throw e;
            }
            return false;
        }
    }

    /**
     * The core binds the new unit in the thread that registers it, right after the tracker above saw it: wait
     * for that thread to get there (a condition, bounded by a deadline; no sleeping).
     */
    private static void awaitCore(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(EVENT_TIMEOUT_S);
        while (!holds(condition)) {
            assertTrue(what, System.nanoTime() < deadline);
            Thread.yield();
        }
    }
}
