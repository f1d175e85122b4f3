package dev.ioasid.shell.internal;

import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.ioasid.api.Context;
import dev.ioasid.api.ObjectInfo;

/** ctx:open, ctx:close, ctx:list, ctx:objects. */
@Component(service = ContextCommands.class, property = { "osgi.command.scope=ctx", "osgi.command.function=open",
        "osgi.command.function=close", "osgi.command.function=list", "osgi.command.function=objects" })
public final class ContextCommands {
    private final Shell sh;

    @Activate
    public ContextCommands(@Reference Shell sh) {
        this.sh = sh;
    }

    @Descriptor("open a context (one /dev/iommu, usually one per VM) and return it")
    public Context open(@Descriptor("a name for the context, unique among open ones, e.g. vm1") String name) {
        return sh.contexts.open(name);
    }

    @Descriptor("close a context: everything in it is destroyed and its devices are unbound")
    public String close(@Descriptor("the context") String ctx) {
        sh.ctx(ctx).close();
        return "closed " + ctx;
    }

    @Descriptor("list the open contexts")
    public List<Context> list() {
        return sh.contexts.contexts();
    }

    @Descriptor("every object of a context: id, type, what it depends on (<- ids)")
    public List<ObjectInfo> objects(@Descriptor("the context") String ctx) {
        return sh.ctx(ctx).objects();
    }
}
