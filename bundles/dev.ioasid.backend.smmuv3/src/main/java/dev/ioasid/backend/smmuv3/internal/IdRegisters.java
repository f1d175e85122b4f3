package dev.ioasid.backend.smmuv3.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.ioasid.spi.DecodedEntry;

/**
 * The identification registers of iommu_hw_info_arm_smmuv3 (IDR0, IDR1, IDR3, IDR5, IIDR and AIDR), each field by
 * its name in the SMMUv3 architecture specification, for people. IDR2 and IDR4 hold nothing this model sets.
 */
final class IdRegisters {
    /** field name, high bit, low bit */
    private record Field(String name, int hi, int lo) {
    }

    private static final List<Field> IDR0 = List.of(new Field("S2P", 0, 0), new Field("S1P", 1, 1), new Field("TTF", 3, 2),
            new Field("COHACC", 4, 4), new Field("BTM", 5, 5), new Field("HTTU", 7, 6), new Field("ATS", 10, 10),
            new Field("ASID16", 12, 12), new Field("MSI", 13, 13), new Field("SEV", 14, 14), new Field("PRI", 16, 16),
            new Field("VMID16", 18, 18), new Field("CD2L", 19, 19), new Field("TTENDIAN", 22, 21),
            new Field("STALL_MODEL", 25, 24), new Field("TERM_MODEL", 26, 26), new Field("ST_LEVEL", 28, 27));
    private static final List<Field> IDR1 = List.of(new Field("SIDSIZE", 5, 0), new Field("SSIDSIZE", 10, 6),
            new Field("PRIQS", 15, 11), new Field("EVENTQS", 20, 16), new Field("CMDQS", 25, 21));
    private static final List<Field> IDR3 = List.of(new Field("HAD", 2, 2), new Field("RIL", 10, 10), new Field("BBML", 12, 11));
    private static final List<Field> IDR5 = List.of(new Field("OAS", 2, 0), new Field("GRAN4K", 4, 4), new Field("GRAN16K", 5, 5),
            new Field("GRAN64K", 6, 6), new Field("VAX", 11, 10), new Field("STALL_MAX", 31, 16));

    private IdRegisters() {
    }

    /** The registers in the 40 bytes of iommu_hw_info_arm_smmuv3 (flags, reserved, idr[6], iidr, aidr). */
    static List<DecodedEntry> decode(byte[] hwInfo) {
        if (hwInfo.length < 40) {
            return List.of();
        }
        ByteBuffer b = ByteBuffer.wrap(hwInfo).order(ByteOrder.LITTLE_ENDIAN);
        List<DecodedEntry> out = new ArrayList<>();
        out.add(register("IDR0", b.getInt(8), IDR0));
        out.add(register("IDR1", b.getInt(12), IDR1));
        out.add(register("IDR3", b.getInt(20), IDR3));
        out.add(register("IDR5", b.getInt(28), IDR5));
        int iidr = b.getInt(32);
        out.add(register("IIDR", iidr, List.of(new Field("Implementer", 11, 0), new Field("Revision", 15, 12),
                new Field("Variant", 19, 16), new Field("ProductID", 31, 20))));
        int aidr = b.getInt(36);
        out.add(register("AIDR", aidr, List.of(new Field("ArchMinorRev", 3, 0), new Field("ArchMajorRev", 7, 4))));
        return out;
    }

    private static DecodedEntry register(String name, int value, List<Field> fields) {
        Map<String, String> m = new LinkedHashMap<>();
        for (Field f : fields) {
            long v = Bits.get(value & 0xffff_ffffL, f.hi, f.lo);
            m.put(f.name, f.hi == f.lo ? Long.toString(v) : "0x" + Long.toHexString(v));
        }
        return new DecodedEntry(String.format("%s 0x%08x", name, value), -1, m);
    }
}
