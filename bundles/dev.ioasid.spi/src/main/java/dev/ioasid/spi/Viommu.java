package dev.ioasid.spi;

import org.osgi.annotation.versioning.ProviderType;

import dev.ioasid.api.IommuException;
import dev.ioasid.machine.PciDevice;

/**
 * A virtual IOMMU instance of one VM on a unit: it owns the VM's hardware tag (VMID), maps the guest's virtual
 * device ids (virtual stream ids) to physical devices, runs the guest's invalidation commands with them, and
 * reports the events of those devices as raw records carrying the virtual ids. Nested domains made through it
 * share its tag. Made by {@link IommuUnit#allocViommu}.
 */
@ProviderType
public interface Viommu {

    /** The hardware tag of the VM (the VMID on SMMUv3). */
    long tag();

    /** Maps a guest's virtual device id to a device. @throws IommuException EEXIST for a taken id or device */
    void addVdevice(long virtId, PciDevice device);

    /** Forgets a virtual device id. */
    void removeVdevice(long virtId);

    /**
     * Runs guest invalidation entries (SMMUv3: {@code cmd[2]}), with virtual ids translated to physical ones.
     *
     * @return {@code entryNum}
     * @throws IommuException for the first entry that fails, with {@link IommuException#progress()} the number
     *                        handled before it; EOPNOTSUPP for an unknown data type
     */
    int invalidate(int dataType, int entryLen, byte[] entries, int entryNum);

    /** A nested domain of this VM (on the vIOMMU's parent), from vendor data. */
    NestedDomain allocNested(PciDevice device, int flags, int dataType, byte[] data);

    /** Where the events of this VM's virtual devices go, as raw records with virtual ids; null stops them. */
    void eventSink(ViommuEventSink sink);

    /** Frees the tag and forgets every virtual device. */
    void free();
}
