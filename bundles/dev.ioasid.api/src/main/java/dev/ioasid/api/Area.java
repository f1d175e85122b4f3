package dev.ioasid.api;

/**
 * One mapping of an IOAS: {@code length} bytes at {@code iova}, backed by user memory at {@code userVa} or by a
 * file at {@code fileOffset}. {@code flags} holds READABLE and WRITEABLE.
 */
public record Area(long iova, long length, int flags, long userVa, String file, long fileOffset) {

    /** The last IOVA of the area (inclusive). */
    public long last() {
        return iova + length - 1;
    }

    public IovaRange range() {
        return new IovaRange(iova, last());
    }

    @Override
    public String toString() {
        String backing = file == null ? String.format("va 0x%x", userVa) : String.format("file %s+0x%x", file, fileOffset);
        return String.format("iova 0x%x-0x%x (0x%x bytes) %s %s", iova, last(), length, MapFlags.perms(flags), backing);
    }
}
