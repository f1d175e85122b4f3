package dev.ioasid.backend.smmuv3;

import java.util.function.IntFunction;
import java.util.function.Predicate;

import org.osgi.annotation.versioning.ProviderType;

import dev.ioasid.spi.PagingDomain;

/**
 * Implemented by every {@code IommuUnit} service of vendor {@code smmuv3}: what a vIOMMU needs from the
 * hardware. Either use {@link #viommuAlloc} (a {@link VirtualSmmu} that keeps the vSID map and the event route),
 * or the two primitives it is built on.
 */
@ProviderType
public interface Smmuv3Nesting {

    /**
     * A vIOMMU on a NEST_PARENT paging domain of this unit: the guest's SMMU, whose VMID is the parent's.
     *
     * @throws dev.ioasid.api.IommuException EOPNOTSUPP without nesting, EINVAL for a parent that is not a
     *                                       stage-2 NEST_PARENT domain of this unit
     */
    VirtualSmmu viommuAlloc(PagingDomain parent);

    /**
     * Executes guest commands as IOMMU_HWPT_INVALIDATE of type ARM_SMMUV3 does: {@code entryNum} entries of
     * {@code entryLen} bytes ({@code le64 cmd[2]}), limited to TLBI_NSNH_ALL, TLBI_NH_VA, NH_VAA, NH_ALL, NH_ASID,
     * ATC_INV, CFGI_CD, CFGI_CD_ALL; the VMID field is replaced by {@code vmid}, and the StreamID of ATC_INV and
     * CFGI_* is mapped by {@code virtualToPhysical} (null: unknown).
     *
     * @return entryNum
     * @throws dev.ioasid.api.IommuException EIO for a command outside the set, an unknown StreamID or one the
     *                                       SMMU refuses; EINVAL for a bad entry length; progress() = handled
     */
    int executeGuestCommands(int vmid, IntFunction<int[]> virtualToPhysical, byte[] entries, int entryLen, int entryNum);

    /**
     * Routes the event records of a physical StreamID that are not stage-2 faults to {@code route} (the raw 32
     * bytes) instead of the core's event path; a route that returns false lets the record through to the core.
     * The record's StreamID is the physical one.
     */
    void routeEvents(int streamId, Predicate<byte[]> route);

    void unrouteEvents(int streamId);
}
