package dev.ioasid.machine;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.PciAddress;

/**
 * A simulated machine: physical memory and its frame allocator, the IOMMU units and the PCI devices behind
 * them, a port per unit where DMA enters, and user address spaces. Its layout is fixed at construction from a
 * {@link MachineDescription}.
 */
public final class Machine {
    private final MachineDescription description;
    private final PhysicalMemory memory;
    private final FrameAllocator frames;
    private final FramePins pins;
    private final Map<String, UnitDescription> units = new LinkedHashMap<>();
    private final Map<String, UnitPort> ports = new LinkedHashMap<>();
    private final Map<PciAddress, PciDevice> devices = new TreeMap<>();
    private final DmaEngine dma;

    public Machine(MachineDescription description) {
        this.description = description;
        this.memory = new PhysicalMemory(description.memorySize());
        this.frames = new FrameAllocator(memory);
        this.pins = new FramePins(frames);
        for (UnitDescription u : description.units()) {
            units.put(u.id(), u);
            ports.put(u.id(), new UnitPort(u));
        }
        for (PciDevice d : description.devices()) {
            devices.put(d.address(), d);
        }
        this.dma = new DmaEngine(memory, devices::get, ports::get);
    }

    public MachineDescription description() {
        return description;
    }

    public PhysicalMemory memory() {
        return memory;
    }

    public FrameAllocator frames() {
        return frames;
    }

    /** Pin counts of every frame. */
    public FramePins pins() {
        return pins;
    }

    public List<UnitDescription> units() {
        return List.copyOf(units.values());
    }

    /** @throws IommuException ENODEV if there is no such unit */
    public UnitDescription unit(String id) {
        UnitDescription u = units.get(id);
        if (u == null) {
            throw IommuException.of(Errno.ENODEV, "no IOMMU unit %s on the machine", id);
        }
        return u;
    }

    /** Where DMA enters the unit. @throws IommuException ENODEV if there is no such unit */
    public UnitPort port(String unitId) {
        unit(unitId);
        return ports.get(unitId);
    }

    public List<PciDevice> devices() {
        return List.copyOf(devices.values());
    }

    /** @throws IommuException ENODEV if the machine has no such device */
    public PciDevice device(PciAddress address) {
        PciDevice d = devices.get(address);
        if (d == null) {
            throw IommuException.of(Errno.ENODEV, "no device %s on the machine", address);
        }
        return d;
    }

    /** The device with this name, or by its address written as text. @throws IommuException ENODEV */
    public PciDevice device(String nameOrAddress) {
        for (PciDevice d : devices.values()) {
            if (d.name().equals(nameOrAddress)) {
                return d;
            }
        }
        return device(PciAddress.parse(nameOrAddress));
    }

    /** The devices behind a unit, in address order. */
    public List<PciDevice> devicesBehind(String unitId) {
        return Collections.unmodifiableList(devices.values().stream().filter(d -> d.unit().equals(unitId)).collect(Collectors.toList()));
    }

    /** A new, empty user address space (a process or a VM's RAM). */
    public UserAddressSpace newAddressSpace(String name) {
        return new UserAddressSpace(this, name);
    }

    /** Devices' DMA. */
    public DmaEngine dma() {
        return dma;
    }

    @Override
    public String toString() {
        return String.format("machine: %d GiB, %d units, %d devices", description.memorySize() >> 30, units.size(), devices.size());
    }
}
