package dev.ioasid.backend.vtd.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import dev.ioasid.machine.Access;
import dev.ioasid.machine.Translation;
import dev.ioasid.machine.TranslationFault;

/**
 * Garbage in every table a walk reads and in the invalidation queue yields VT-d faults or IQE: never an
 * exception, never a hang. Seeds are fixed, so a failure repeats.
 */
class GuestGarbageTest {

    /** Random entries, biased towards plausible ones: present bits, small addresses inside the rig's memory. */
    private static long garbage(SplittableRandom r, long[] frames) {
        switch (r.nextInt(4)) {
        case 0: return r.nextLong();
        case 1: return frames[r.nextInt(frames.length)] | r.nextLong(0x1000);
        case 2: return frames[r.nextInt(frames.length)] | 0x7 | (r.nextBoolean() ? 0x80 : 0);
        default: return r.nextLong() & 0x000f_ffff_ffff_ffffL | 1;
        }
    }

    /** A PASID entry of random fields, its pointers into the frame pool; sometimes a random quadword. */
    private static long[] randomPasidEntry(SplittableRandom r, long[] frames) {
        PasidEntry e = new PasidEntry(r.nextInt(8) != 0, r.nextInt(8) == 0, r.nextInt(5), r.nextInt(6), r.nextBoolean(),
                frames[r.nextInt(frames.length)], r.nextInt(1 << 16), false, false, r.nextBoolean(), r.nextInt(3), r.nextBoolean(),
                r.nextBoolean(), frames[r.nextInt(frames.length)]);
        long[] q = e.encode();
        if (r.nextInt(6) == 0) {
            q[r.nextInt(8)] ^= r.nextLong();
        }
        return q;
    }

    @Test
    void random_configuration_and_paging_tables_give_faults_never_exceptions() {
        java.util.Set<String> reasons = new java.util.TreeSet<>();
        for (long seed = 1; seed <= 20; seed++) {
            Rig rig = Rig.server();
            SplittableRandom r = new SplittableRandom(seed);
            long[] frames = new long[24];
            for (int i = 0; i < frames.length; i++) {
                frames[i] = rig.frames.allocate();
            }
            // paging-structure garbage in every frame of the pool
            for (long f : frames) {
                for (int i = 0; i < 512; i++) {
                    rig.mem.store64(f + 8L * i, garbage(r, frames));
                }
            }
            // a configuration path whose entries are mostly plausible, and whose PASID entries are random
            Rig.Scalable s = rig.new Scalable("dsa0", r.nextBoolean(), false);
            for (int pasid = 0; pasid < 64; pasid++) {
                long[] q = randomPasidEntry(r, frames);
                for (int i = 0; i < 8; i++) {
                    rig.mem.store64(s.table + 64L * pasid + 8L * i, q[i]);
                }
            }
            rig.pasidDir(s.dir, 1, new PasidDirEntry(true, false, frames[r.nextInt(frames.length)]));
            rig.mem.store64(s.dir + 16, garbage(r, frames));
            for (int i = 0; i < 3000; i++) {
                int pasid = r.nextInt(8) == 0 ? Access.NO_PASID : r.nextInt(192);
                long iova = r.nextInt(8) == 0 ? r.nextLong() : r.nextLong(1L << 40) & -4096L | r.nextInt(4096);
                int access = 1 << r.nextInt(2) | (r.nextInt(4) == 0 ? Access.EXEC : 0) | (r.nextInt(4) == 0 ? Access.PRIV : 0);
                Translation t = rig.translate(r.nextInt(16) == 0 ? "nic0" : "dsa0", pasid, iova, access);
                assertNotNull(t);
                if (t instanceof TranslationFault) {
                    assertNotEquals("INTERNAL_ERROR", ((TranslationFault) t).reason(), t::toString);
                    reasons.add(((TranslationFault) t).reason());
                } else {
                    reasons.add("translated");
                }
                if (i % 500 == 0) {
                    rig.flushAll();
                }
            }
        }
        // the garbage reached deep into the walks, not only the first entry
        for (String r : java.util.List.of("translated", "PASID_TABLE_ENTRY_INV", "PAGING_ENTRY_RSVD", "FS_PAGING_ENTRY_RSVD",
                "FS_NON_CANONICAL", "READ", "PASID_ENTRY_P")) {
            org.junit.jupiter.api.Assertions.assertTrue(reasons.contains(r), () -> r + " among " + reasons);
        }
    }

    @Test
    void random_descriptors_set_iqe_or_complete_and_never_throw() {
        for (long seed = 1; seed <= 20; seed++) {
            Rig rig = seed % 2 == 0 ? Rig.server() : Rig.legacy();
            SplittableRandom r = new SplittableRandom(seed);
            InvalidationQueue iq = rig.unit.iq;
            long base = iq.iqa() & -4096L;
            for (int round = 0; round < 200; round++) {
                long t = iq.tail();
                int n = 1 + r.nextInt(4);
                for (int k = 0; k < n; k++) {
                    long qw0 = r.nextInt(3) == 0 ? r.nextLong() : (r.nextInt(10) | r.nextLong() & 0xffff_ffff_0000_00f0L);
                    long at = base + (t % iq.queueBytes());
                    rig.mem.store64(at, qw0);
                    rig.mem.store64(at + 8, r.nextLong());
                    if (iq.descriptorSize() == 32) {
                        rig.mem.store64(at + 16, r.nextInt(4) == 0 ? r.nextLong() : 0);
                        rig.mem.store64(at + 24, 0);
                    }
                    t = (t + iq.descriptorSize()) % iq.queueBytes();
                }
                rig.unit.writeRegister(Registers.IQT, t);
                if (iq.stopped()) {
                    // the driver recovers the queue for its own use
                    rig.unit.invalidator.submit(Descriptor.iotlb(Descriptor.IOTLB_GLOBAL, false, false, 0, 0, 0, false));
                    assertFalse(iq.stopped());
                }
            }
        }
    }
}
