package dev.ioasid.backend.mock.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

import dev.ioasid.api.HwptDataType;
import dev.ioasid.api.MapFlags;
import dev.ioasid.machine.Machine;
import dev.ioasid.spi.IommuUnit;
import dev.ioasid.spi.PagingDomain;

/** The component: one IommuUnit service per mock unit, all freed on deactivation. */
class MockBackendTest {

    static final class Registered {
        final Class<?> clazz;
        final Object service;
        final Dictionary<?, ?> props;
        boolean unregistered;

        Registered(Class<?> clazz, Object service, Dictionary<?, ?> props) {
            this.clazz = clazz;
            this.service = service;
            this.props = props;
        }
    }

    /** A BundleContext that only records registerService(Class, S, Dictionary). */
    static BundleContext context(List<Registered> out) {
        return (BundleContext) Proxy.newProxyInstance(MockBackendTest.class.getClassLoader(), new Class<?>[] { BundleContext.class },
                (proxy, method, args) -> {
                    if (method.getName().equals("registerService") && args.length == 3 && args[0] instanceof Class) {
                        Registered r = new Registered((Class<?>) args[0], args[1], (Dictionary<?, ?>) args[2]);
                        out.add(r);
                        return Proxy.newProxyInstance(MockBackendTest.class.getClassLoader(), new Class<?>[] { ServiceRegistration.class },
                                (p, m, a) -> {
                                    if (m.getName().equals("unregister")) {
                                        r.unregistered = true;
                                        return null;
                                    }
                                    throw new UnsupportedOperationException(m.getName());
                                });
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void registersOneServicePerMockUnitAndFreesEverythingOnDeactivate() {
        Machine m = TestMachines.machine("memory 1G\nunit a mock\nunit v vtd\nunit b mock pagesize=4096\n"
                + "device 0000:00:01.0 a name=da\ndevice 0000:00:02.0 b name=db\n");
        long before = m.frames().framesInUse();
        List<Registered> regs = new ArrayList<>();
        MockBackend backend = new MockBackend(context(regs), m);
        assertEquals(2, regs.size(), "the vtd unit is not the mock's");
        assertEquals(List.of("a", "b"), regs.stream().map(r -> (String) r.props.get(IommuUnit.UNIT)).toList());
        for (Registered r : regs) {
            assertSame(IommuUnit.class, r.clazz);
            assertEquals(MockBackend.VENDOR, r.props.get(IommuUnit.VENDOR));
            assertEquals(r.props.get(IommuUnit.UNIT), ((IommuUnit) r.service).description().id());
        }
        MockUnit b = assertInstanceOf(MockUnit.class, regs.get(1).service);
        assertEquals(4096, b.pageSize());

        PagingDomain d = b.allocPaging(m.device("db"), 0, HwptDataType.NONE, null);
        d.map(MockUnit.APERTURE_START, 0x20_0000L, 4096, MapFlags.READABLE, false);
        assertTrue(m.frames().framesInUse() > before);

        backend.deactivate();
        assertTrue(regs.stream().allMatch(r -> r.unregistered));
        assertEquals(before, m.frames().framesInUse());
        assertTrue(((MockDomain) d).isFreed());
    }
}
