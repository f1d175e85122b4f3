package dev.ioasid.core.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ioasid.api.Context;
import dev.ioasid.api.ContextService;
import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;

/** The implementation of the ioasid API. */
@Component(service = ContextService.class)
public final class IommuCore implements ContextService {
    private static final Logger LOG = LoggerFactory.getLogger(IommuCore.class);

    /** guarded by this */
    private final Map<String, ContextImpl> contexts = new LinkedHashMap<>();

    @Override
    public synchronized Context open(String name) {
        if (name == null || name.isBlank()) {
            throw IommuException.of(Errno.EINVAL, "a context needs a name");
        }
        if (contexts.containsKey(name)) {
            throw IommuException.of(Errno.EEXIST, "context %s is already open", name);
        }
        ContextImpl ctx = new ContextImpl(this, name);
        contexts.put(name, ctx);
        LOG.debug("context {} opened", name);
        return ctx;
    }

    @Override
    public synchronized Context context(String name) {
        ContextImpl ctx = contexts.get(name);
        if (ctx == null) {
            throw IommuException.of(Errno.ENOENT, "no context %s", name);
        }
        return ctx;
    }

    @Override
    public synchronized List<Context> contexts() {
        return new ArrayList<>(contexts.values());
    }

    synchronized void closed(ContextImpl ctx) {
        contexts.remove(ctx.name(), ctx);
        LOG.debug("context {} closed", ctx.name());
    }

    @Deactivate
    void deactivate() {
        for (Context ctx : contexts()) {
            ctx.close();
        }
    }
}
