package dev.ioasid.api;

/** IOMMU_OPTION ids, with iommufd's values. */
public enum IoasOption {
    /** Global (object 0): 0 = account pins to the user (default), 1 = to the process. Values 0 and 1. */
    RLIMIT_MODE(0),
    /** Per IOAS: 1 (default) lets domains use huge pages, 0 forces PAGE_SIZE mappings. */
    HUGE_PAGES(1);

    private final int id;

    IoasOption(int id) {
        this.id = id;
    }

    public int id() {
        return id;
    }
}
