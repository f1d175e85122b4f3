package dev.ioasid.api;

/** The kinds of object a context holds, as in iommufd's {@code enum iommufd_object_type}. */
public enum ObjectType {
    IOAS,
    DEVICE,
    HWPT_PAGING,
    HWPT_NESTED,
    ACCESS,
    FAULT,
    VIOMMU,
    VDEVICE,
    VEVENTQ,
    /** A core event queue of a context: vEVENTQ-style delivery of the unrecoverable events of its devices. */
    EVENTQ;

    /** True for both HWPT kinds. */
    public boolean isHwpt() {
        return this == HWPT_PAGING || this == HWPT_NESTED;
    }
}
