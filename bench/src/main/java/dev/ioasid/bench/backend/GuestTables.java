package dev.ioasid.bench.backend;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.ioasid.api.ObjectInfo;

/**
 * A guest building a 4-level, 4 KiB-page stage-1 table that maps a range to the same addresses, in its own RAM
 * (user memory of the rig's context, mapped into the nested parent's IOAS): what P2's nested walk reads. The
 * descriptor bits are the caller's (x86-64 first stage for VT-d, VMSAv8-64 stage 1 for SMMUv3).
 */
final class GuestTables {
    /** Where the guest keeps its tables: at 4 TiB, above the 1 TiB of P7's sparse pattern, inside every 48-bit aperture. */
    static final long TABLES_GPA = 0x400_0000_0000L;

    private final Map<Long, long[]> tables = new LinkedHashMap<>();
    private final long tableBits;
    private final long leafBits;
    private long next = TABLES_GPA;
    final long root;

    /**
     * @param tableBits the bits of a descriptor pointing at the next table, besides the address
     * @param leafBits  the bits of a 4 KiB leaf, besides the address
     */
    GuestTables(long tableBits, long leafBits) {
        this.tableBits = tableBits;
        this.leafBits = leafBits;
        this.root = table();
    }

    private long table() {
        long t = next;
        next += Rig.PAGE;
        tables.put(t, new long[512]);
        return t;
    }

    /** Maps every 4 KiB page of {@code [iova, iova + length)} to itself. */
    GuestTables identity(long iova, long length) {
        for (long va = iova; va < iova + length; va += Rig.PAGE) {
            long t = root;
            for (int level = 3; level > 0; level--) {
                int i = (int) (va >>> (12 + 9 * level) & 511);
                long[] entries = tables.get(t);
                if (entries[i] == 0) {
                    entries[i] = table() | tableBits;
                }
                t = entries[i] & 0x000f_ffff_ffff_f000L;
            }
            tables.get(t)[(int) (va >>> 12 & 511)] = (va & 0x000f_ffff_ffff_f000L) | leafBits;
        }
        return this;
    }

    /** Bytes of guest RAM the tables take. */
    long size() {
        return next - TABLES_GPA;
    }

    /** Writes the tables into fresh user memory and maps it at {@link #TABLES_GPA} of the parent's IOAS. */
    void install(Rig rig, int parentHwptId) {
        long va = rig.mmap(size());
        for (Map.Entry<Long, long[]> e : tables.entrySet()) {
            ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
            for (long x : e.getValue()) {
                b.putLong(x);
            }
            rig.ctx.memory().write(va + (e.getKey() - TABLES_GPA), b.array());
        }
        rig.map(ioasOf(rig, parentHwptId), va, size(), TABLES_GPA);
    }

    /** The IOAS a paging HWPT sits on. */
    static int ioasOf(Rig rig, int hwptId) {
        for (ObjectInfo o : rig.ctx.objects()) {
            if (o.id() == hwptId) {
                return o.dependsOn().get(0);
            }
        }
        throw new IllegalStateException("no HWPT " + hwptId);
    }
}
