package dev.ioasid.core.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

import dev.ioasid.api.Context;
import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.api.ObjectInfo;
import dev.ioasid.api.UserMemory;
import dev.ioasid.machine.UserAddressSpace;

/** One open context: its object table, its user address space and its IOASID set. */
final class ContextImpl implements Context {
    final IommuCore core;
    private final String name;
    final UserAddressSpace memory;
    /** guards objects, every object's fields, and attachments of its devices */
    final ReentrantLock lock = new ReentrantLock();
    final ObjectTable objects;
    final IoasidSet ioasids;
    /** guarded by lock */
    private boolean open = true;
    /** IOMMU_OPTION_RLIMIT_MODE: 0 accounts pins to the user, 1 to the process; guarded by lock */
    int rlimitMode;

    ContextImpl(IommuCore core, String name, UserAddressSpace memory) {
        this.core = core;
        this.name = name;
        this.memory = memory;
        this.objects = new ObjectTable(name);
        this.ioasids = new IoasidSet(name);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean isOpen() {
        lock.lock();
        try {
            return open;
        } finally {
            lock.unlock();
        }
    }

    /** @throws IommuException EBADF once closed; call with the lock held */
    void checkOpen() {
        if (!open) {
            throw IommuException.of(Errno.EBADF, "context %s is closed", name);
        }
    }

    /** Runs {@code body} with the lock held and the context open. */
    <T> T locked(java.util.function.Supplier<T> body) {
        lock.lock();
        try {
            checkOpen();
            return body.get();
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code body} with the lock held and the context open. */
    void lockedRun(Runnable body) {
        locked(() -> {
            body.run();
            return null;
        });
    }

    /** A typed lookup under the lock. @throws IommuException ENOENT, EBADF when closed */
    <T extends IommuObject> T lookup(int id, Class<T> cls, String what) {
        return locked(() -> objects.get(id, cls, what));
    }

    void markClosed() {
        open = false;
    }

    @Override
    public UserMemory memory() {
        return memory;
    }

    @Override
    public List<ObjectInfo> objects() {
        lock.lock();
        try {
            List<ObjectInfo> out = new ArrayList<>();
            for (IommuObject o : objects.all()) {
                out.add(o.info());
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void destroy(int id) {
        core.destroy(this, id);
    }

    @Override
    public void close() {
        core.close(this);
    }

    @Override
    public String toString() {
        return name;
    }
}
