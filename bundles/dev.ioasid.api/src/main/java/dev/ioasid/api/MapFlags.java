package dev.ioasid.api;

/** Flags of IOAS map, map-file and copy, with iommufd's values ({@code enum iommufd_ioas_map_flags}). */
public final class MapFlags {
    private MapFlags() {
    }

    /** Map at exactly the IOVA given; without it the IOVA is picked and returned. */
    public static final int FIXED_IOVA = 1;
    /** DMA may write. */
    public static final int WRITEABLE = 2;
    /** DMA may read. */
    public static final int READABLE = 4;

    /** Every flag this version knows. */
    public static final int ALL = FIXED_IOVA | WRITEABLE | READABLE;

    /** "r", "w", "rw" or "-" for the READABLE and WRITEABLE bits. */
    public static String perms(int flags) {
        String s = ((flags & READABLE) != 0 ? "r" : "") + ((flags & WRITEABLE) != 0 ? "w" : "");
        return s.isEmpty() ? "-" : s;
    }
}
