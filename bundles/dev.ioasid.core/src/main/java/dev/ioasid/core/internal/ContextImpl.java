package dev.ioasid.core.internal;

import dev.ioasid.api.Context;

/** One open context. Its state is guarded by the core's lock until the object table lands. */
final class ContextImpl implements Context {
    private final IommuCore core;
    private final String name;
    private volatile boolean open = true;

    ContextImpl(IommuCore core, String name) {
        this.core = core;
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        if (open) {
            open = false;
            core.closed(this);
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
