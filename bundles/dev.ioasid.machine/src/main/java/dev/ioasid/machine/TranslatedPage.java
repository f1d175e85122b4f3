package dev.ioasid.machine;

/**
 * A translated page: the physical base of a naturally aligned page of {@code 1 << pageShift} bytes, and the
 * access it allows. Hardware models may hand out the same instance for every hit on a cached entry, so it is
 * immutable.
 *
 * @param physBase  physical address of the page (aligned to its size)
 * @param pageShift log2 of the page size (11 for the mock's 2 KiB pages, 12, 21, 30, ...)
 * @param access    the {@link Access} bits the page allows
 */
public record TranslatedPage(long physBase, int pageShift, int access) implements Translation {

    @Override
    public boolean isFault() {
        return false;
    }

    /** The physical address of {@code iova}, which must lie in this page. */
    public long physical(long iova) {
        return physBase + (iova & ((1L << pageShift) - 1));
    }

    /** Bytes from {@code iova} to the end of this page. */
    public long remaining(long iova) {
        return (1L << pageShift) - (iova & ((1L << pageShift) - 1));
    }
}
