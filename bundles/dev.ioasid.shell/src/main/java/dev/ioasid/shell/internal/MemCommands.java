package dev.ioasid.shell.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import dev.ioasid.api.UserMemory;

/**
 * mem:alloc, mem:write, mem:write64, mem:read, mem:regions: the context's user memory (a process or a VM's RAM).
 * mem:write64 is how a script plays a guest writing its own page tables and descriptors into its RAM.
 */
@Component(service = MemCommands.class, property = { "osgi.command.scope=mem", "osgi.command.function=alloc",
        "osgi.command.function=write", "osgi.command.function=write64", "osgi.command.function=read",
        "osgi.command.function=regions" })
public final class MemCommands {
    private final Shell sh;

    @Activate
    public MemCommands(@Reference Shell sh) {
        this.sh = sh;
    }

    @Descriptor("map zeroed anonymous memory in the context's address space; returns its user VA")
    public Hex alloc(@Descriptor("the context") String ctx, @Descriptor("bytes, e.g. 16K or 0x4000") String length) {
        return new Hex(sh.ctx(ctx).memory().mmap(Shell.number("length", length)));
    }

    @Descriptor("write bytes at a user VA")
    public String write(@Descriptor("the context") String ctx, @Descriptor("user VA") String va,
            @Descriptor("0x-hex bytes (0xdeadbeef) or text") String data) {
        byte[] b = Shell.data(data);
        sh.ctx(ctx).memory().write(Shell.number("va", va), b);
        return "wrote " + b.length + " bytes";
    }

    @Descriptor("write 64-bit values at a user VA, little-endian, one after another (page-table entries, descriptors)")
    public String write64(@Descriptor("the context") String ctx, @Descriptor("user VA, e.g. $ram+0x103000") String va,
            @Descriptor("values, 0x-hex or decimal, 64 bits each") String... values) {
        if (values.length == 0) {
            throw Shell.einval("no values to write");
        }
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (String v : values) {
            b.putLong(Shell.number("value", v));
        }
        sh.ctx(ctx).memory().write(Shell.number("va", va), b.array());
        return "wrote " + values.length + " quadword" + (values.length == 1 ? "" : "s");
    }

    @Descriptor("read bytes at a user VA; returns hex")
    public String read(@Descriptor("the context") String ctx, @Descriptor("user VA") String va, @Descriptor("bytes") String length) {
        long n = Shell.number("length", length);
        if (n <= 0 || n > 1 << 20) {
            throw Shell.einval("read between 1 byte and 1M, not %s", length);
        }
        return Shell.hex(sh.ctx(ctx).memory().read(Shell.number("va", va), (int) n));
    }

    @Descriptor("the mappings of the context's address space")
    public List<UserMemory.Region> regions(@Descriptor("the context") String ctx) {
        return sh.ctx(ctx).memory().regions();
    }
}
