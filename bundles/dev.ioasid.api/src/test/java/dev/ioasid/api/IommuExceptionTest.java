package dev.ioasid.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class IommuExceptionTest {

    @Test
    void messageIsErrnoThenDetailOnOneLine() {
        IommuException e = IommuException.of(Errno.ENOENT, "no IOAS %d in context %s", 7, "vm1");
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("ENOENT: no IOAS 7 in context vm1", e.getMessage());
        assertEquals("no IOAS 7 in context vm1", e.detail());
        assertEquals(e.getMessage(), e.toString());
    }

    @Test
    void errnoNumbersAreLinuxs() {
        assertEquals(2, Errno.ENOENT.number());
        assertEquals(16, Errno.EBUSY.number());
        assertEquals(22, Errno.EINVAL.number());
        assertEquals(90, Errno.EMSGSIZE.number());
        assertEquals(95, Errno.EOPNOTSUPP.number());
        assertEquals(98, Errno.EADDRINUSE.number());
        assertEquals(Errno.EOVERFLOW, Errno.ofNumber(75));
        assertNull(Errno.ofNumber(9999));
    }
}
