package dev.ioasid.machine;

import java.util.ArrayList;
import java.util.List;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import static dev.ioasid.api.UserMemory.PAGE_SIZE;

import dev.ioasid.api.MemFile;

/** A memfd-like file of an address space. Guarded by the address space's lock. */
final class MemFileImpl implements MemFile {
    private final UserAddressSpace space;
    final MemoryObject object;
    private long size;

    MemFileImpl(UserAddressSpace space, MemoryObject object, long size) {
        this.space = space;
        this.object = object;
        this.size = size;
    }

    @Override
    public String name() {
        return object.name;
    }

    @Override
    public long size() {
        synchronized (space) {
            return size;
        }
    }

    @Override
    public void truncate(long newSize) {
        synchronized (space) {
            checkOpen();
            if (newSize < 0) {
                throw IommuException.of(Errno.EINVAL, "negative size");
            }
            long pages = UserAddressSpace.pagesFor(newSize);
            if (pages > object.pages()) {
                object.grow(pages);
            } else {
                object.shrink(pages);
                // bytes past the new end inside the last page read as zeros, as after ftruncate
                if (newSize % PAGE_SIZE != 0 && pages > 0) {
                    long frame = object.frame(pages - 1);
                    long from = newSize % PAGE_SIZE;
                    space.memory().zero((frame << PhysicalMemory.FRAME_SHIFT) + from, PAGE_SIZE - from);
                }
            }
            size = newSize;
        }
    }

    private void checkRange(long offset, long length) {
        if (offset < 0 || length < 0 || offset > size || length > size - offset) {
            throw IommuException.of(Errno.EINVAL, "bytes [%d, %d) run past the end of %s (%d bytes)", offset, offset + length, name(), size);
        }
    }

    @Override
    public void read(long offset, byte[] dst) {
        synchronized (space) {
            checkOpen();
            checkRange(offset, dst.length);
            space.copy(object, offset, dst, 0, dst.length, false);
        }
    }

    @Override
    public void write(long offset, byte[] src) {
        synchronized (space) {
            checkOpen();
            checkRange(offset, src.length);
            space.copy(object, offset, src, 0, src.length, true);
        }
    }

    /** Pins {@code [offset, offset + length)} for IOAS map-file. @throws IommuException EINVAL past the end */
    PinnedPages pin(long offset, long length) {
        synchronized (space) {
            checkOpen();
            if (length <= 0) {
                throw IommuException.of(Errno.EINVAL, "zero length");
            }
            checkRange(offset, length);
            long firstPage = offset / PAGE_SIZE;
            long lastPage = (offset + length - 1) / PAGE_SIZE;
            List<Long> runs = new ArrayList<>();
            object.runs(firstPage, lastPage - firstPage + 1, runs);
            return space.newPin(runs, offset % PAGE_SIZE, length);
        }
    }

    @Override
    public boolean isOpen() {
        synchronized (space) {
            return object.handleOpen;
        }
    }

    private void checkOpen() {
        if (!object.handleOpen) {
            throw IommuException.of(Errno.EBADF, "file %s is closed", name());
        }
    }

    @Override
    public void close() {
        synchronized (space) {
            if (object.handleOpen) {
                object.handleOpen = false;
                object.destroyIfUnused();
                space.forget(this);
            }
        }
    }

    @Override
    public String toString() {
        return name() + " (" + size + " bytes)";
    }
}
