package dev.ioasid.bench.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.ioasid.machine.Access;
import dev.ioasid.machine.PciDevice;
import dev.ioasid.machine.TranslatedPage;
import dev.ioasid.machine.Translation;

/**
 * Every benchmark backend sets up what P1 and P2 measure: a flat domain and a nested one over the same IOAS
 * that translate every page of the region to the same physical address. (Correctness only; nothing is timed.)
 */
class BenchBackendsTest {

    @ParameterizedTest
    @ValueSource(strings = { "mock", "vtd", "smmuv3" })
    void flat_and_nested_translate_the_region_alike(String name) {
        BenchBackend b = BenchBackends.get(name);
        try (Rig rig = Rig.boot(b, 2 * Rig.GIB)) {
            long pages = 2048; // 8 MiB: four leaf tables
            Rig.Attached a = b.attachMapped(rig, 2, pages, false);
            int nestedDev = rig.bind(2);
            int parent = rig.core.hwptAlloc(rig.ctx, dev.ioasid.api.HwptAlloc.paging(nestedDev, a.ioas(), dev.ioasid.api.HwptFlags.NEST_PARENT));
            b.attachNested(rig, nestedDev, parent, a.iova(), a.length());
            PciDevice flat = rig.device(0);
            PciDevice nested = rig.device(2);
            for (long p = 0; p < pages; p += 97) {
                long iova = a.iova() + p * Rig.PAGE + 0x40;
                Translation f = rig.translator().translate(flat, Access.NO_PASID, iova, Access.READ);
                Translation n = rig.translator().translate(nested, Access.NO_PASID, iova, Access.READ);
                assertTrue(!f.isFault() && !n.isFault(), name + " 0x" + Long.toHexString(iova) + ": " + f + " / " + n);
                assertEquals(((TranslatedPage) f).physical(iova), ((TranslatedPage) n).physical(iova), name);
            }
            assertTrue(b.tableFrames(rig.units) > 0, name + " counts its table frames");
        }
    }
}
