package dev.ioasid.backend.mock.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.ioasid.machine.TranslatedPage;
import dev.ioasid.spi.UnitEvent;

/** The IOTLB and the event log on their own. */
class MockIotlbAndEventLogTest {

    @Test
    void iotlbSizeMustBeAPowerOfTwo() {
        assertThrows(IllegalArgumentException.class, () -> new MockIotlb(0));
        assertThrows(IllegalArgumentException.class, () -> new MockIotlb(12));
        assertThrows(IllegalArgumentException.class, () -> new MockIotlb(-4));
        assertEquals(1, new MockIotlb(1).size());
        assertEquals(64, new MockIotlb(64).size());
    }

    @Test
    void iotlbLookupInsertAndCounters() {
        MockIotlb t = new MockIotlb(16);
        assertNull(t.lookup(1, 100));
        MockIotlb.Entry e = new MockIotlb.Entry(1, 100, new TranslatedPage(0x20_0000L, 11, 3), false);
        t.insert(e);
        assertSame(e, t.lookup(1, 100));
        assertNull(t.lookup(2, 100), "another tag");
        assertEquals(1, t.hits.sum());
        assertEquals(2, t.misses.sum());
        assertEquals(1, t.occupancy());
    }

    @Test
    void iotlbInvalidateByTagAndRange() {
        MockIotlb t = new MockIotlb(1);
        // one slot: the last insert wins (direct-mapped)
        t.insert(new MockIotlb.Entry(1, 5, new TranslatedPage(0, 11, 1), false));
        MockIotlb.Entry last = new MockIotlb.Entry(1, 6, new TranslatedPage(0x800, 11, 1), true);
        t.insert(last);
        assertNull(t.lookup(1, 5));
        assertSame(last, t.lookup(1, 6));

        t.invalidate(2);
        assertSame(last, t.lookup(1, 6), "another tag");
        t.invalidate(1, 7, 100);
        assertSame(last, t.lookup(1, 6), "outside the range");
        t.invalidate(1, 6, 6);
        assertNull(t.lookup(1, 6));
        assertEquals(0, t.occupancy());
        assertEquals(3, t.invalidations.sum());

        t.insert(last);
        t.invalidate(1);
        assertEquals(0, t.occupancy());
    }

    @Test
    void iotlbKeepsEntriesOfManyPages() {
        MockIotlb t = new MockIotlb(1024);
        for (long p = 0; p < 8; p++) {
            t.insert(new MockIotlb.Entry(3, p, new TranslatedPage(p << 11, 11, 3), false));
        }
        int found = 0;
        for (long p = 0; p < 8; p++) {
            MockIotlb.Entry e = t.lookup(3, p);
            if (e != null) {
                assertEquals(p << 11, e.translation.physBase());
                found++;
            }
        }
        assertEquals(t.occupancy(), found);
        assertTrue(found >= 1);
        t.invalidate(3, 0, 3);
        for (long p = 0; p <= 3; p++) {
            assertNull(t.lookup(3, p));
        }
    }

    @Test
    void encodeIsTheDocumentedRecord() {
        byte[] r = MockEventLog.encode(3, 0x1234, -1, 0xa, 0x0102_0304_0506_0708L, 0x1122_3344_5566_7788L);
        assertArrayEquals(new byte[] {
                3, 0, 0, 0,
                0x34, 0x12, 0, 0,
                -1, -1, -1, -1,
                0x0a, 0, 0, 0,
                0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
                (byte) 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 }, r);
        assertEquals(MockEventLog.RECORD_SIZE, r.length);
    }

    @Test
    void eventLogCapacityOverflowAndDrain() {
        MockEventLog log = new MockEventLog("u9", 2);
        UnitEvent a = log.log(MockUnit.Reason.NOT_PRESENT, 8, 4, 1, 0x1000_0000L, "x");
        assertNotNull(a);
        assertEquals("u9", a.unit());
        assertEquals("NOT_PRESENT", a.reason());
        assertEquals(2, a.code());
        assertEquals(4, a.pasid());
        assertArrayEquals(MockEventLog.encode(2, 8, 4, 1, 0x1000_0000L, 0), a.record());
        assertNotNull(log.log(MockUnit.Reason.PERMISSION, 8, 4, 1, 0, "y"));
        assertNull(log.log(MockUnit.Reason.APERTURE, 8, 4, 1, 0, "z"));
        assertTrue(log.overflow());
        assertEquals(1, log.dropped());
        assertEquals(2, log.events().size());
        List<UnitEvent> drained = log.drain();
        assertEquals(2, drained.size());
        assertEquals(3, drained.get(1).code());
        assertFalse(log.overflow());
        assertTrue(log.events().isEmpty());
        UnitEvent next = log.log(MockUnit.Reason.PERMISSION, 8, -1, 2, 0, "w");
        assertEquals(3, next.sequence());
        assertEquals(1, log.dropped());
    }

    @Test
    void reasonCodes() {
        assertEquals(1, MockUnit.Reason.BLOCKED.code);
        assertEquals(2, MockUnit.Reason.NOT_PRESENT.code);
        assertEquals(3, MockUnit.Reason.PERMISSION.code);
        assertEquals(4, MockUnit.Reason.APERTURE.code);
    }
}
