package dev.ioasid.core.internal;

import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ioasid.spi.IommuUnit;
import dev.ioasid.spi.UnitHost;

/**
 * What happens when a unit's backend leaves or arrives (DESIGN section 6): leaving drops every hardware domain
 * of the unit and keeps the objects; arriving rebuilds each paging domain from its IOAS, makes each nested
 * domain again from its vendor data, and attaches every endpoint again before DMA reaches the backend.
 * Called with IommuCore.lock held.
 */
final class Backends {
    private static final Logger LOG = LoggerFactory.getLogger(Backends.class);

    private Backends() {
    }

    /** The domain belonged to the backend that left: drop it without touching it. */
    /** The vIOMMU's hardware instance belonged to the backend that left. */
    static void forgetViommu(ViommuObject v) {
        v.hw = null;
    }

    /** A vIOMMU made again on its rebuilt parent, with its virtual devices and event routing. */
    static boolean rebuildViommu(ViommuObject v, IommuUnit b) {
        v.broken = null;
        if (v.hw != null) {
            return true;
        }
        if (v.parent.domain() == null) {
            v.broken = "its parent HWPT " + v.parent.id + " has no domain";
            return false;
        }
        try {
            v.hw = b.allocViommu(v.madeFor, v.parent.domain(), v.viommuType, v.data);
            for (VdeviceObject vd : v.vdevices.values()) {
                v.hw.addVdevice(vd.virtId, vd.device.device);
            }
            v.connectEvents();
            return true;
        } catch (RuntimeException e) {
            v.broken = "rebuild failed: " + e.getMessage();
            LOG.warn("vIOMMU {} of context {}: {}", v.id, v.ctx.name(), v.broken);
            return false;
        }
    }

    static void forgetDomain(Hwpt h) {
        if (h instanceof HwptPaging) {
            HwptPaging p = (HwptPaging) h;
            p.ioas.table.lock.lock();
            try {
                p.domain(null);
            } finally {
                p.ioas.table.lock.unlock();
            }
        } else {
            ((HwptNested) h).domain(null);
        }
    }

    /**
     * Makes a backend drive a unit: every paging domain is rebuilt from its IOAS, every nested domain is made
     * again from its vendor data, every endpoint is attached again, and only then does DMA reach the backend.
     */
    static void activate(UnitState u, IommuUnit backend, java.util.Collection<ContextImpl> contexts, UnitHost host) {
        backend.start(host);
        u.backend(backend);
        u.generations++;
        int rebuilt = 0;
        int failed = 0;
        for (ContextImpl c : contexts) {
            c.lock.lock();
            try {
                List<IommuObject> objs = c.objects.all();
                for (IommuObject o : objs) {
                    if (o instanceof HwptPaging && ((HwptPaging) o).unit == u) {
                        if (rebuildPaging((HwptPaging) o, backend)) rebuilt++; else failed++;
                    }
                }
                for (IommuObject o : objs) {
                    if (o instanceof ViommuObject && ((ViommuObject) o).unit == u) {
                        if (rebuildViommu((ViommuObject) o, backend)) rebuilt++; else failed++;
                    }
                }
                for (IommuObject o : objs) {
                    if (o instanceof HwptNested && ((HwptNested) o).unit == u) {
                        if (rebuildNested((HwptNested) o, backend)) rebuilt++; else failed++;
                    }
                }
                for (Endpoint e : Endpoints.endpointsOn(c, u)) {
                    Hwpt h = e.device().attached.get(e.pasid());
                    if (h.domain() == null) {
                        continue;
                    }
                    try {
                        backend.attach(e.device().device, e.pasid(), h.domain());
                    } catch (RuntimeException ex) {
                        h.broken = "re-attach of " + e + " failed: " + ex.getMessage();
                        LOG.warn("unit {}: {}", u.id, h.broken);
                    }
                }
            } finally {
                c.lock.unlock();
            }
        }
        u.port.drive(u::translate);
        LOG.info("unit {}: driven by {} ({} domain(s) rebuilt{})", u.id, backend, rebuilt, failed == 0 ? "" : ", " + failed + " failed");
    }

    private static boolean rebuildPaging(HwptPaging h, IommuUnit b) {
        h.broken = null;
        if (h.domain() != null) {
            return true;
        }
        try {
            var d = b.allocPaging(h.madeFor, h.flags, h.dataType, h.data);
            h.ioas.table.lock.lock();
            try {
                h.ioas.table.unreserve(h);
                try {
                    h.domain(d);
                    h.ioas.table.addDomain(h, d);
                    if (h.dirtyTracking) {
                        d.setDirtyTracking(true);
                    }
                } catch (RuntimeException e) {
                    h.domain(null);
                    d.free();
                    throw e;
                }
            } finally {
                h.ioas.table.lock.unlock();
            }
            return true;
        } catch (RuntimeException e) {
            h.broken = "rebuild failed: " + e.getMessage();
            LOG.warn("HWPT {} of context {}: {}", h.id, h.ctx.name(), h.broken);
            return false;
        }
    }

    private static boolean rebuildNested(HwptNested h, IommuUnit b) {
        h.broken = null;
        if (h.domain() != null) {
            return true;
        }
        if (h.parent.domain() == null) {
            h.broken = "its parent HWPT " + h.parent.id + " has no domain";
            return false;
        }
        if (h.viommu != null && h.viommu.hw == null) {
            h.broken = "its vIOMMU " + h.viommu.id + " was not rebuilt";
            return false;
        }
        try {
            h.domain(h.viommu != null ? h.viommu.hw.allocNested(h.madeFor, h.flags, h.dataType, h.data)
                    : b.allocNested(h.madeFor, h.parent.domain(), h.flags, h.dataType, h.data));
            return true;
        } catch (RuntimeException e) {
            h.broken = "vendor data rejected on rebuild: " + e.getMessage();
            LOG.warn("HWPT {} of context {}: {}", h.id, h.ctx.name(), h.broken);
            return false;
        }
    }

}
