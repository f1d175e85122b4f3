package dev.ioasid.core.internal;

import dev.ioasid.api.Area;
import dev.ioasid.api.MapFlags;
import dev.ioasid.machine.PinnedPages;

/** One mapping of an IOAS: an IOVA range over pinned pages. Immutable but for the pages' release. */
final class IoArea {
    final long iova;
    final long length;
    /** MapFlags READABLE and WRITEABLE */
    final int prot;
    final PinnedPages pages;
    /** the user address it was mapped from, or -1 */
    final long userVa;
    /** the file it was mapped from, or null */
    final String file;
    final long fileOffset;

    IoArea(long iova, long length, int prot, PinnedPages pages, long userVa, String file, long fileOffset) {
        this.iova = iova;
        this.length = length;
        this.prot = prot & (MapFlags.READABLE | MapFlags.WRITEABLE);
        this.pages = pages;
        this.userVa = userVa;
        this.file = file;
        this.fileOffset = fileOffset;
    }

    /** Inclusive. */
    long last() {
        return iova + length - 1;
    }

    boolean intersects(long start, long lastIncl) {
        return Long.compareUnsigned(iova, lastIncl) <= 0 && Long.compareUnsigned(start, last()) <= 0;
    }

    Area toApi() {
        return new Area(iova, length, prot, userVa, file, fileOffset);
    }

    @Override
    public String toString() {
        return toApi().toString();
    }
}
