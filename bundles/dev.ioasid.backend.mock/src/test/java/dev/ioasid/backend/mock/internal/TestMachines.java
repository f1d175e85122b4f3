package dev.ioasid.backend.mock.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.function.Executable;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.machine.Machine;
import dev.ioasid.machine.MachineDescription;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.machine.PendingFault;
import dev.ioasid.spi.PageRequest;
import dev.ioasid.spi.UnitEvent;
import dev.ioasid.spi.UnitHost;

/** Machines and helpers shared by the mock's unit tests. */
final class TestMachines {
    private TestMachines() {
    }

    /**
     * u0 (2 KiB granule, fail-pasid=1024): d0 with 20 PASID bits and PRI, d1 without PASID, d2 nodirty with 5
     * PASID bits. u1, a second mock unit, with d3. u4, a 4 KiB mock unit, with d4.
     */
    static final String TEXT = String.join("\n",
            "memory 1G",
            "unit u0 mock fail-pasid=1024",
            "unit u1 mock",
            "unit u4 mock pagesize=4096",
            "device 0000:00:01.0 u0 name=d0 pasid=20 pri exec priv",
            "device 0000:00:02.0 u0 name=d1",
            "device 0000:00:03.0 u0 name=d2 pasid=5 nodirty=1",
            "device 0000:01:00.0 u1 name=d3",
            "device 0000:02:00.0 u4 name=d4",
            "");

    static Machine machine() {
        return machine(TEXT);
    }

    static Machine machine(String text) {
        return new Machine(MachineDescription.parse(text, "test"));
    }

    static MockUnit unit(Machine m, String id) {
        return new MockUnit(m.unit(id), m.frames());
    }

    static PciDevice dev(Machine m, String name) {
        return m.device(name);
    }

    /** iommu_hwpt_selftest {u32 iotlb; u32 pagetable_type}, little-endian. */
    static byte[] selftest(int iotlb, int pagetableType) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(iotlb).putInt(pagetableType).array();
    }

    /** iommu_hwpt_invalidate_selftest entries {u32 flags; u32 iotlb_id}, little-endian. */
    static byte[] inv(int... flagsAndIds) {
        ByteBuffer b = ByteBuffer.allocate(4 * flagsAndIds.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : flagsAndIds) {
            b.putInt(v);
        }
        return b.array();
    }

    static IommuException expectErrno(Errno errno, Executable call) {
        IommuException e = assertThrows(IommuException.class, call);
        assertEquals(errno, e.errno(), e.getMessage());
        return e;
    }

    /** A host that records what the unit reports; page requests wait on nothing (they end INVALID at once). */
    static final class RecordingHost implements UnitHost {
        final List<UnitEvent> events = new ArrayList<>();
        final List<PageRequest> requests = new ArrayList<>();
        final PendingFault pending = timeout -> PendingFault.Outcome.INVALID;

        @Override
        public synchronized void event(UnitEvent event) {
            events.add(event);
        }

        @Override
        public synchronized PendingFault pageRequest(PageRequest request) {
            requests.add(request);
            return pending;
        }
    }
}
