package dev.ioasid.spi;

import org.osgi.annotation.versioning.ProviderType;

/** A hardware domain (an I/O page table and its cache tag) of one unit. */
@ProviderType
public interface Domain {

    /** The unit that made it. */
    IommuUnit unit();

    /** The hardware tag of this domain's cache entries (DID, ASID/VMID, domain id), for display. */
    long tag();

    /** Frees its tables and cache tag. The core detaches every endpoint first. */
    void free();
}
