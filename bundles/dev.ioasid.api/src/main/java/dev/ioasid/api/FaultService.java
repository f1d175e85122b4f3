package dev.ioasid.api;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * IO page faults and events: fault queues (iommufd FAULT objects) that receive the recoverable faults of every
 * endpoint attached to an HWPT allocated with them, responses that complete fault groups, and event queues
 * (vEVENTQ style) that deliver unrecoverable events as raw hardware records.
 */
@ProviderType
public interface FaultService {

    /** IOMMU_FAULT_QUEUE_ALLOC: a fault queue; pass its id as {@link HwptAlloc#withFault}. */
    int faultQueueAlloc(Context ctx);

    /**
     * Reads whole groups, oldest first, as many as fit in {@code maxFaults} records (at least one group if any
     * is waiting, however big). Each read group gets a cookie. Returns at once; empty when none is waiting.
     *
     * @throws IommuException ENOENT if there is no such fault queue
     */
    List<PageFault> faultRead(Context ctx, int queueId, int maxFaults);

    /** As {@link #faultRead(Context, int, int)}, waiting up to {@code timeoutMillis} for a group to arrive. */
    List<PageFault> faultRead(Context ctx, int queueId, int maxFaults, long timeoutMillis) throws InterruptedException;

    /**
     * Answers the group with this cookie. SUCCESS makes the device retry; INVALID fails its request.
     *
     * @throws IommuException EINVAL for a cookie that is not pending (never read, or already answered)
     */
    void faultRespond(Context ctx, int queueId, int cookie, PageResponse response);

    /** Groups read but not answered, then groups not read yet (cookie 0), for display. */
    List<PageFault> faultPending(Context ctx, int queueId);

    /**
     * An event queue of {@code depth} records that receives the unrecoverable events of every device bound in
     * the context. When full, events are dropped and the next one carries LOST_EVENTS.
     *
     * @throws IommuException EINVAL for a depth below 1
     */
    int eventQueueAlloc(Context ctx, int depth);

    /**
     * IOMMU_VEVENTQ_ALLOC: an event queue of a vIOMMU that receives the raw records of its virtual devices'
     * events, with their virtual ids; read it with {@link #eventRead}.
     *
     * @throws IommuException EEXIST when the vIOMMU has a queue of this type, EINVAL for a depth below 1,
     *                        EOPNOTSUPP for an unknown type
     */
    int veventqAlloc(Context ctx, int viommuId, int type, int depth);

    /** Takes up to {@code max} records, oldest first, of an event queue or a vEVENTQ. @throws IommuException ENOENT */
    List<UnitEventRecord> eventRead(Context ctx, int queueId, int max);

    /** Adds a fault listener (what the OSGi whiteboard does for registered {@link FaultListener} services). */
    void addListener(FaultListener listener);

    void removeListener(FaultListener listener);
}
