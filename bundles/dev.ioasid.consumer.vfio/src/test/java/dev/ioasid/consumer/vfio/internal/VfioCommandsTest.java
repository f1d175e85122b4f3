package dev.ioasid.consumer.vfio.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.ioasid.api.Errno;
import dev.ioasid.api.HwptAlloc;
import dev.ioasid.api.HwptFlags;
import dev.ioasid.core.conformance.ConformanceBackend;
import dev.ioasid.core.conformance.ConformanceBase;
import dev.ioasid.core.conformance.MockBackend;

/** The vfio shell commands: results, and an error path of each, one line with the errno first. */
class VfioCommandsTest extends ConformanceBase {
    private static final int BLOCK = 0x10000;
    private VfioComponent vfio;

    @Override
    protected ConformanceBackend backend() {
        return new MockBackend();
    }

    @Override
    protected String machineText() {
        return "memory 8G\n" + backend().unitLine() + "\ndevice 0000:00:01.0 u0 name=dsa0 pasid=20 wqs=4\n";
    }

    @BeforeEach
    void startVfio() {
        vfio = new VfioComponent(machine, core, core);
    }

    @AfterEach
    void stopVfio() {
        vfio.deactivate();
    }

    private long iova(int n) {
        return backend().aperture().start() + (long) n * BLOCK;
    }

    private long block(int ioas, long iova, String content) {
        long va = buffer(BLOCK);
        ctx.memory().write(va, content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        mapFixed(ioas, va, BLOCK, iova);
        return va;
    }

    @Test
    void every_command_and_its_errors() {
        VfioCommands cmd = new VfioCommands(vfio, core);
        assertTrue(cmd.devices().get(0).contains("dsa0") && cmd.devices().get(0).contains("unbound"));
        expectErrno(Errno.ENOENT, () -> cmd.bind("nope", "dsa0"));
        int dev = cmd.bind("test", "dsa0");
        expectErrno(Errno.EBUSY, () -> cmd.bind("test", "dsa0"));
        int ioas = ioas();
        long va = block(ioas, iova(0), "work queue data");
        expectErrno(Errno.EINVAL, () -> cmd.attach("dsa0", "x"));
        int hwpt = cmd.attach("dsa0", Integer.toString(ioas));
        assertTrue(hwpt > 0);
        assertEquals("wq0 enabled, RID", cmd.wq("dsa0", "0", "-").toString());
        assertTrue(cmd.copy("dsa0", "0", Long.toString(iova(0)), Long.toString(iova(0) + 0x8000), "15").ok());
        assertEquals("work queue data", new String(ctx.memory().read(va + 0x8000, 15)));
        expectErrno(Errno.ENOENT, () -> cmd.wq("dsa0", "1", "77"));
        int pasid = core.alloc(ctx).hwId();
        expectErrno(Errno.EINVAL, () -> cmd.attach("dsa0", Integer.toString(hwpt), Integer.toString(pasid)));
        int s2 = core.hwptAlloc(ctx, HwptAlloc.paging(dev, ioas, HwptFlags.PASID));
        cmd.attach("dsa0", Integer.toString(s2));
        assertEquals(s2, cmd.attach("dsa0", Integer.toString(s2), Integer.toString(pasid)));
        assertTrue(cmd.wq("dsa0", "1", Integer.toString(pasid)).toString().contains("PASID " + pasid));
        assertTrue(cmd.copy("dsa0", "1", Long.toString(iova(0)), Long.toString(iova(0) + 0x100), "4").ok());
        assertEquals("PASID " + pasid + " blocked", cmd.detach("dsa0", Integer.toString(pasid)));
        assertEquals("RID blocked", cmd.detach("dsa0"));
        assertEquals("closed dsa0", cmd.close("dsa0"));
        expectErrno(Errno.EINVAL, () -> cmd.attach("dsa0", Integer.toString(ioas)));
    }
}
