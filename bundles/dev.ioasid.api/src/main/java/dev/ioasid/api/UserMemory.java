package dev.ioasid.api;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The user address space of a context: a process, or a VM's RAM as its VMM sees it. IOAS map takes its
 * virtual addresses; pins taken by a map keep the frames behind them alive until the unmap.
 * <p>
 * Pages are {@value #PAGE_SIZE} bytes. Touching a virtual address that is not mapped is EFAULT.
 */
@ProviderType
public interface UserMemory {
    /** The CPU page size of the simulated machine. */
    int PAGE_SIZE = 4096;

    /**
     * Maps {@code length} bytes (rounded up to whole pages) of zeroed anonymous memory and returns the address.
     * Large mappings get naturally aligned addresses and physically contiguous frames, so huge IOMMU pages can
     * back them.
     *
     * @throws IommuException EINVAL for length 0, ENOMEM when physical memory is exhausted
     */
    long mmap(long length);

    /**
     * Maps {@code length} bytes of a file, from page-aligned {@code offset}, shared: writes through the mapping
     * are the file's contents.
     *
     * @throws IommuException EINVAL for a misaligned offset, a length of 0, or a range past the end of the file
     */
    long mmap(MemFile file, long offset, long length);

    /**
     * Unmaps whole pages. Pinned pages stay alive, held by their pinner, until unpinned.
     *
     * @throws IommuException EINVAL for a misaligned address or a length of 0
     */
    void munmap(long va, long length);

    /** A memfd-like file of {@code size} bytes (zeroed), for IOAS map-file. */
    MemFile createFile(String name, long size);

    /** Reads {@code dst.length} bytes. @throws IommuException EFAULT if any byte is not mapped */
    void read(long va, byte[] dst);

    /** Reads {@code length} bytes. @throws IommuException EFAULT if any byte is not mapped */
    default byte[] read(long va, int length) {
        byte[] b = new byte[length];
        read(va, b);
        return b;
    }

    /** Writes the bytes. @throws IommuException EFAULT if any byte is not mapped */
    void write(long va, byte[] src);

    /** How many pins hold the page at {@code va}. @throws IommuException EFAULT if it is not mapped */
    int pinCount(long va);

    /** The sum of the pin counts of every page this address space has mapped or still holds. */
    long pinnedPages();

    /** The current mappings, in address order. */
    List<Region> regions();

    /** One mapping of the address space. {@code file} is null for anonymous memory. */
    record Region(long va, long length, String file, long fileOffset) {
        @Override
        public String toString() {
            return String.format("0x%x-0x%x %s", va, va + length - 1, file == null ? "anon" : file + "+0x" + Long.toHexString(fileOffset));
        }
    }
}
