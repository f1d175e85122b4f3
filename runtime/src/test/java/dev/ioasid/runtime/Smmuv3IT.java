package dev.ioasid.runtime;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Hashtable;
import java.util.concurrent.TimeUnit;

import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

import dev.ioasid.api.Context;
import dev.ioasid.api.ContextService;
import dev.ioasid.api.DomainService;
import dev.ioasid.api.EndpointService;
import dev.ioasid.api.HwInfo;
import dev.ioasid.api.HwInfoType;
import dev.ioasid.api.MapFlags;
import dev.ioasid.api.PciAddress;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.DmaResult;
import dev.ioasid.machine.Machine;
import dev.ioasid.spi.IommuUnit;

/**
 * The SMMUv3 backend in the shipped runtime: it drives unit smmu0 of the demo machine, DMA translates through
 * it, and a Config Admin change of the unit's profile (PID dev.ioasid.backend.smmuv3, smmu0.profile) registers
 * the unit again, after which the core has rebuilt every mapping on it.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class Smmuv3IT extends RuntimeTestSupport {
    static final PciAddress GPU0 = PciAddress.parse("0000:01:00.0");
    static final String PID = "dev.ioasid.backend.smmuv3";

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

    private IommuUnit awaitUnit(String profile) throws Exception {
        var filter = context.createFilter("(&(objectClass=" + IommuUnit.class.getName() + ")(" + IommuUnit.UNIT + "=smmu0)(ioasid.profile="
                + profile + "))");
        ServiceTracker<IommuUnit, IommuUnit> t = new ServiceTracker<>(context, filter, null);
        t.open();
        try {
            return t.waitForService(TimeUnit.SECONDS.toMillis(60));
        } finally {
            t.close();
        }
    }

    /**
     * The unit's registration reaches every service listener in one dispatch, the core's and the tracker's in
     * no fixed order: wait until the core drives the unit with the new backend (its translator changed).
     */
    private void awaitDrivenBy(dev.ioasid.machine.Translator before) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!machine.port("smmu0").isDriven() || machine.port("smmu0").translator() == before) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the core did not take up the re-registered smmu0");
            }
            Thread.onSpinWait();
        }
    }

    @Test
    public void theUnitIsDrivenAndAProfileChangeThroughConfigAdminRebuildsIt() throws Exception {
        IommuUnit unit = awaitUnit("server");
        assertNotNull("smmu0 is driven by the smmuv3 backend", unit);
        assertEquals("smmuv3", machine.unit("smmu0").vendor());
        assertTrue(machine.port("smmu0").isDriven());
        Context ctx = contexts.open("smmuv3-it");
        Configuration cfg = configAdmin.getConfiguration(PID, "?");
        try {
            int ioas = domains.ioasAlloc(ctx);
            int dev = endpoints.bind(ctx, GPU0);
            endpoints.attach(ctx, dev, ioas);
            long buf = ctx.memory().mmap(8192);
            byte[] data = "through the SMMUv3".getBytes(StandardCharsets.UTF_8);
            ctx.memory().write(buf, data);
            long iova = domains.ioasMap(ctx, ioas, buf, 8192, 0, MapFlags.READABLE | MapFlags.WRITEABLE);
            DmaResult r = machine.dma().read(GPU0, Access.NO_PASID, iova, data.length);
            assertTrue(r.toString(), r.ok());
            assertArrayEquals(data, r.data());
            HwInfo info = endpoints.hwInfo(ctx, dev);
            assertEquals(HwInfoType.ARM_SMMUV3, info.type());
            assertEquals(16, info.maxPasidLog2());

            dev.ioasid.machine.Translator before = machine.port("smmu0").translator();
            Hashtable<String, Object> props = new Hashtable<>();
            props.put("smmu0.profile", "minimal");
            cfg.update(props);
            assertNotNull("smmu0 is registered again with the minimal profile", awaitUnit("minimal"));
            awaitDrivenBy(before);
            DmaResult after = machine.dma().read(GPU0, Access.NO_PASID, iova, data.length);
            assertTrue(after.toString(), after.ok());
            assertArrayEquals(data, after.data());
            assertEquals("no SSIDs on the minimal part", 0, endpoints.hwInfo(ctx, dev).maxPasidLog2());
        } finally {
            ctx.close();
            cfg.delete();
        }
        assertNotNull("back to the machine description's profile", awaitUnit("server"));
    }
}
