package dev.ioasid.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A memfd-like file: pages of memory with a size, which IOAS map-file maps directly and user memory can mmap.
 * Its frames are freed when it is closed and nothing maps or pins them any more.
 */
@ProviderType
public interface MemFile extends AutoCloseable {

    String name();

    /** The size in bytes. */
    long size();

    /**
     * Sets the size, like ftruncate(2). Growing adds zeroed pages. Shrinking drops the pages past the new end
     * from the file; pages that are pinned stay alive with their pinner.
     */
    void truncate(long size);

    /** Reads at a byte offset. @throws IommuException EINVAL past the end of the file */
    void read(long offset, byte[] dst);

    /** Writes at a byte offset. @throws IommuException EINVAL past the end of the file */
    void write(long offset, byte[] src);

    boolean isOpen();

    /** Drops the file's own reference to its pages. */
    @Override
    void close();
}
