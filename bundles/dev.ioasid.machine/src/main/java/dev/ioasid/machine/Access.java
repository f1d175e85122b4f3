package dev.ioasid.machine;

/**
 * What a DMA request asks for, as bits with iommufd's perm values ({@code IOMMU_PGFAULT_PERM_*}), and the
 * "no PASID" marker of requests that carry none.
 */
public final class Access {
    private Access() {
    }

    public static final int READ = 1;
    public static final int WRITE = 2;
    public static final int EXEC = 4;
    public static final int PRIV = 8;
    /**
     * Not an access right: marks the retry of a request after a SUCCESS page response. A fault on the retry is
     * unrecoverable; the unit must not raise another page request for it.
     */
    public static final int RETRY = 0x100;
    /** The access right bits, without {@link #RETRY}. */
    public static final int RIGHTS = READ | WRITE | EXEC | PRIV;

    /** The PASID of a request without a PASID prefix. */
    public static final int NO_PASID = -1;

    /** "r", "w", "rx", "rwp" and so on. */
    public static String describe(int access) {
        StringBuilder sb = new StringBuilder();
        if ((access & READ) != 0) sb.append('r');
        if ((access & WRITE) != 0) sb.append('w');
        if ((access & EXEC) != 0) sb.append('x');
        if ((access & PRIV) != 0) sb.append('p');
        return sb.length() == 0 ? "-" : sb.toString();
    }

    /** "-" for {@link #NO_PASID}, else the number. */
    public static String pasid(int pasid) {
        return pasid == NO_PASID ? "-" : Integer.toString(pasid);
    }
}
