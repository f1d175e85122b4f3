package dev.ioasid.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * The driver of an access object (an emulated, mdev-like device). It is told when an unmap hits pages it has
 * pinned, and must unpin them before returning.
 */
@ConsumerType
@FunctionalInterface
public interface AccessListener {

    /** {@code [iova, iova + length)} is being unmapped: unpin what you pinned there now. */
    void unmap(long iova, long length);
}
