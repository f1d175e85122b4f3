package dev.ioasid.backend.smmuv3.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.backend.smmuv3.internal.Lpae.Granule;
import dev.ioasid.backend.smmuv3.internal.LpaePageTable.Stage;
import dev.ioasid.backend.smmuv3.internal.Walker.Out;
import dev.ioasid.backend.smmuv3.internal.Walker.S1Cfg;
import dev.ioasid.backend.smmuv3.internal.Walker.S2Cfg;
import dev.ioasid.machine.FrameAllocator;
import dev.ioasid.machine.PhysicalMemory;

/**
 * Linux's arm_lpae_run_tests (io-pgtable-arm-selftests.c): page-size sets {4K|2M|1G, 16K|32M, 64K|512M} x every
 * IAS <= OAS pair of {32, 36, 40, 42, 44, 48}, for the stage 1 and stage 2 formats (2 x 63 configurations).
 * Each checks an empty table, maps of each size at n x 1G, an overlapping map, iova_to_phys, unmap, remap, and
 * the largest page just below 2^IAS (the concatenated-table corner). Every translation is also walked by the
 * SMMU's own walker, which must agree with iova_to_phys, and every table frame comes back at the end.
 */
class ArmLpaeSelftestTest {
    static final long SZ_1G = 1L << 30;
    static final long SZ_2G = 2L << 30;
    static final int READ = LpaePageTable.PROT_READ;
    static final int WRITE = LpaePageTable.PROT_WRITE;
    static final int NOEXEC = LpaePageTable.PROT_NOEXEC;

    static Stream<Arguments> configurations() {
        int[] sizes = { 32, 36, 40, 42, 44, 48 };
        List<Arguments> out = new ArrayList<>();
        for (Stage stage : Stage.values()) {
            for (Granule g : Granule.values()) {
                for (int ias : sizes) {
                    for (int oas : sizes) {
                        if (ias <= oas) {
                            out.add(Arguments.of(stage, g, ias, oas));
                        }
                    }
                }
            }
        }
        return out.stream();
    }

    private final PhysicalMemory memory = new PhysicalMemory(1L << 30);
    private final FrameAllocator frames = new FrameAllocator(memory);
    private final Walker walker = new Walker(memory);

    /** What the SMMU's walker makes of an address (a translation, no access rights asked): the PA, or 0. */
    private long hardwareWalk(LpaePageTable t, long iova) {
        LpaePageTable.Config c = t.config;
        Out o = new Out();
        if (c.stage() == Stage.S1) {
            walker.walkS1(new S1Cfg(c.granule(), c.ias(), c.oas(), c.startLevel(), t.root, 1, false, false, false, false, true, false),
                    iova, 0, null, o);
        } else {
            walker.walkS2(new S2Cfg(c.granule(), c.ias(), c.oas(), c.startLevel(), c.startBits(), t.root, 1, false, false, true, false),
                    iova, 0, EventRecord.CLASS_IN, o);
        }
        return o.faulted() ? 0 : o.oa | (iova & ((1L << o.shift) - 1));
    }

    private long iovaToPhys(LpaePageTable t, long iova) {
        long pa = Math.max(0, t.iovaToPhys(iova));
        assertEquals(pa, hardwareWalk(t, iova), () -> String.format("the walker and iova_to_phys disagree at 0x%x", iova));
        return pa;
    }

    @ParameterizedTest(name = "{0} {1} ias {2} oas {3}")
    @MethodSource("configurations")
    void arm_lpae_run_tests(Stage stage, Granule g, int ias, int oas) {
        long before = frames.framesInUse();
        LpaePageTable.Config cfg = stage == Stage.S1 ? LpaePageTable.Config.s1(g, ias, oas) : LpaePageTable.Config.s2(g, ias, oas);
        LpaePageTable t = new LpaePageTable(frames, cfg, false);
        long pgsizes = cfg.pageSizes();

        // empty page tables provide no translation
        assertEquals(0, iovaToPhys(t, 42));
        assertEquals(0, iovaToPhys(t, SZ_1G + 42));
        assertEquals(0, iovaToPhys(t, SZ_2G + 42));

        // distinct mappings of each page size
        long iova = 0;
        for (long sizes = pgsizes; sizes != 0; sizes &= sizes - 1) {
            long size = Long.lowestOneBit(sizes);
            t.map(iova, iova, size, READ | WRITE | NOEXEC, true);
            long at = iova;
            IommuException e = assertThrows(IommuException.class, () -> t.map(at, at + size, size, READ | NOEXEC, true), "overlapping map");
            assertEquals(Errno.EEXIST, e.errno());
            assertEquals(iova + 42, iovaToPhys(t, iova + 42));
            iova += SZ_1G;
        }

        // full unmap, then remap
        iova = 0;
        for (long sizes = pgsizes; sizes != 0; sizes &= sizes - 1) {
            long size = Long.lowestOneBit(sizes);
            assertEquals(size, t.unmap(iova, size));
            assertEquals(0, iovaToPhys(t, iova + 42));
            t.map(iova, iova, size, WRITE, true);
            assertEquals(iova + 42, iovaToPhys(t, iova + 42));
            iova += SZ_1G;
        }

        // the last largest page of the IAS: a corner of concatenated stage-2 start tables
        long size = Long.highestOneBit(pgsizes);
        long last = (1L << ias) - size;
        t.map(last, last, size, READ | WRITE, true);
        assertEquals(last + size - 1, iovaToPhys(t, last + size - 1));
        assertEquals(size, t.unmap(last, size));
        assertEquals(0, iovaToPhys(t, last));

        t.free();
        assertEquals(before, frames.framesInUse(), "every table frame is back");
    }
}
