package dev.ioasid.runtime;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.util.tracker.ServiceTracker;

import dev.ioasid.api.Context;
import dev.ioasid.api.ContextService;
import dev.ioasid.api.DomainService;
import dev.ioasid.api.EndpointService;
import dev.ioasid.api.MapFlags;
import dev.ioasid.api.PciAddress;
import dev.ioasid.machine.Access;
import dev.ioasid.machine.DmaResult;
import dev.ioasid.machine.Machine;
import dev.ioasid.spi.IommuUnit;

/**
 * The backend bundle stops and starts under a live context: DMA is blocked while it is away, every object
 * survives, and the same DMA reads the same data when it is back.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HotSwapIT extends RuntimeTestSupport {
    static final PciAddress ACC0 = PciAddress.parse("0000:00:01.0");

    @Inject
    ContextService contexts;
    @Inject
    DomainService domains;
    @Inject
    EndpointService endpoints;
    @Inject
    Machine machine;

    private Bundle bundle(String bsn) {
        for (Bundle b : context.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no bundle " + bsn);
    }

    @Test
    public void stoppingTheBackendBlocksDmaAndStartingItRestoresEveryMapping() throws Exception {
        Context ctx = contexts.open("hotswap");
        try {
            int ioas = domains.ioasAlloc(ctx);
            int dev = endpoints.bind(ctx, ACC0);
            endpoints.attach(ctx, dev, ioas);
            long buf = ctx.memory().mmap(8192);
            byte[] data = "same data after the swap".getBytes(StandardCharsets.UTF_8);
            ctx.memory().write(buf, data);
            long iova = domains.ioasMap(ctx, ioas, buf, 8192, 0, MapFlags.READABLE | MapFlags.WRITEABLE);
            DmaResult before = machine.dma().read(ACC0, Access.NO_PASID, iova, data.length);
            assertTrue(before.toString(), before.ok());
            assertArrayEquals(data, before.data());
            int objects = ctx.objects().size();

            Bundle mock = bundle("dev.ioasid.backend.mock");
            mock.stop();
            DmaResult blocked = machine.dma().read(ACC0, Access.NO_PASID, iova, data.length);
            assertFalse(blocked.ok());
            assertEquals("NO_BACKEND", blocked.fault().reason());
            assertFalse("the port knows no backend drives the unit", machine.port("mock0").isDriven());
            assertEquals("every object survives", objects, ctx.objects().size());

            ServiceTracker<IommuUnit, IommuUnit> units = new ServiceTracker<>(context, IommuUnit.class, null);
            units.open();
            try {
                mock.start();
                assertNotNull("the mock unit is back", units.waitForService(TimeUnit.SECONDS.toMillis(60)));
            } finally {
                units.close();
            }
            assertTrue(machine.port("mock0").isDriven());
            DmaResult after = machine.dma().read(ACC0, Access.NO_PASID, iova, data.length);
            assertTrue(after.toString(), after.ok());
            assertArrayEquals(data, after.data());
            assertEquals(objects, ctx.objects().size());
        } finally {
            ctx.close();
        }
    }
}
