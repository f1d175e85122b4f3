package dev.ioasid.backend.smmuv3.internal;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

import dev.ioasid.api.MapFlags;
import dev.ioasid.machine.Machine;
import dev.ioasid.machine.MachineDescription;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.machine.PendingFault;
import dev.ioasid.spi.PageRequest;
import dev.ioasid.spi.UnitEvent;
import dev.ioasid.spi.UnitHost;

/**
 * A machine with one SMMUv3 unit and its driver, without the core: a host that records events and page
 * requests. Devices: {@code 01:00.0} (pasid 16, ATS, PRI), {@code 01:01.0} (no PASID, no ATS), {@code 01:02.0}
 * (pasid 16, can stall).
 */
final class UnitFixture implements AutoCloseable {
    static final String DEVICES = String.join("\n",
            "device 0000:01:00.0 smmu0 name=gpu0 pasid=16 ats pri",
            "device 0000:01:01.0 smmu0 name=nic0",
            "device 0000:01:02.0 smmu0 name=acc0 pasid=16 stall=1");

    final Machine machine;
    final Smmuv3Unit unit;
    final List<UnitEvent> events = new CopyOnWriteArrayList<>();
    final List<PageRequest> requests = new CopyOnWriteArrayList<>();
    /** what the host answers a page request with */
    volatile Function<PageRequest, PendingFault> onRequest = r -> timeout -> PendingFault.Outcome.INVALID;

    UnitFixture(String unitSettings) {
        machine = new Machine(MachineDescription.parse("memory 4G\nunit smmu0 smmuv3 " + unitSettings + "\n" + DEVICES + "\n", "fixture"));
        unit = new Smmuv3Unit(machine.unit("smmu0"), machine.frames(), machine.devicesBehind("smmu0"), Map.of());
        unit.start(new UnitHost() {
            @Override
            public void event(UnitEvent e) {
                events.add(e);
            }

            @Override
            public PendingFault pageRequest(PageRequest r) {
                requests.add(r);
                return onRequest.apply(r);
            }
        });
    }

    UnitFixture() {
        this("profile=server");
    }

    PciDevice device(String name) {
        return machine.device(name);
    }

    /** A physically contiguous run of zeroed frames, as DMA memory. */
    long memory(long bytes) {
        long frames = bytes >>> 12;
        return machine.frames().allocate(frames, Long.highestOneBit(frames));
    }

    SmmuDomain paging(PciDevice d, int flags) {
        return (SmmuDomain) unit.allocPaging(d, flags, 0, new byte[0]);
    }

    static final int RW = MapFlags.READABLE | MapFlags.WRITEABLE;

    UnitEvent lastEvent() {
        return events.get(events.size() - 1);
    }

    @Override
    public void close() {
        unit.shutdown();
    }
}
