package dev.ioasid.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

import dev.ioasid.api.Context;
import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;

class IommuCoreTest {

    @Test
    void contextsOpenFindAndClose() {
        IommuCore core = new IommuCore();
        Context vm1 = core.open("vm1");
        core.open("vm2");
        assertEquals(2, core.contexts().size());
        assertEquals(vm1, core.context("vm1"));
        assertEquals(Errno.EEXIST, assertThrows(IommuException.class, () -> core.open("vm1")).errno());
        assertEquals(Errno.EINVAL, assertThrows(IommuException.class, () -> core.open(" ")).errno());
        vm1.close();
        vm1.close();
        assertFalse(vm1.isOpen());
        assertEquals(Errno.ENOENT, assertThrows(IommuException.class, () -> core.context("vm1")).errno());
        assertEquals(1, core.contexts().size());
    }
}
