package dev.ioasid.shell.internal;

import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.ioasid.api.Context;
import dev.ioasid.api.ContextService;

/** ctx:open, ctx:close, ctx:list. */
@Component(service = ContextCommands.class, property = {
        "osgi.command.scope=ctx",
        "osgi.command.function=open",
        "osgi.command.function=close",
        "osgi.command.function=list" })
public final class ContextCommands {

    @Reference
    private ContextService contexts;

    @Descriptor("open a context (one /dev/iommu, usually one per VM) and return it")
    public Context open(@Descriptor("a name for the context, unique among open ones, e.g. vm1") String name) {
        return contexts.open(name);
    }

    @Descriptor("close a context, destroying everything in it")
    public String close(@Descriptor("the context, by name") String name) {
        contexts.context(name).close();
        return "closed " + name;
    }

    @Descriptor("list the open contexts")
    public List<Context> list() {
        return contexts.contexts();
    }
}
