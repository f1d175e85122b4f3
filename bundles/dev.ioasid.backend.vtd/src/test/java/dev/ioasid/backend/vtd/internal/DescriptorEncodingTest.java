package dev.ioasid.backend.vtd.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Byte-exact encodings of every queued-invalidation descriptor type, with expected values computed by hand from
 * hw-formats.md 2.1; each expected value lists its fields.
 */
class DescriptorEncodingTest {

    private static void expect(Descriptor d, int type, long qw0, long qw1) {
        assertEquals(qw0, d.qw0(), () -> String.format("qw0 0x%016x", d.qw0()));
        assertEquals(qw1, d.qw1(), () -> String.format("qw1 0x%016x", d.qw1()));
        assertEquals(type, d.type());
        assertEquals(0, d.reservedBits(true), "no reserved bit is set by the encoder");
    }

    @Test
    void context_cache_invalidation() {
        // type 1, G (5:4) 3 = 0x30, DID (31:16) 0x102, SID (47:32) 0x20, FM (49:48) 2 -> 0x0002002001020031
        Descriptor d = Descriptor.contextCache(Descriptor.CC_DEVICE, 0x102, 0x20, 2);
        expect(d, 1, 0x0002_0020_0102_0031L, 0);
        assertEquals(3, d.granularity());
        assertEquals(0x102, d.did());
        assertEquals(0x20, d.sid());
        assertEquals(2, d.fm());
    }

    @Test
    void iotlb_invalidation() {
        // qw0: type 2, G (5:4) 3 = 0x30, DW (6) 0x40, DR (7) 0x80, DID (31:16) 5 -> 0x500F2
        // qw1: AM (5:0) 4, IH (6) 0x40, ADDR (63:12) 0x12340000 -> 0x12340044
        Descriptor d = Descriptor.iotlb(Descriptor.IOTLB_PAGE, true, true, 5, 0x1234_0000L, 4, true);
        expect(d, 2, 0x5_00F2L, 0x1234_0044L);
        assertEquals(4, d.am());
        assertEquals(true, d.ih());
        assertEquals(0x1234_0000L, d.addr());
    }

    @Test
    void device_tlb_invalidation() {
        // qw0: type 3, PFSID[3:0] (15:12) 3 = 0x3000, QDEP (20:16) 0, SID (47:32) 0x20, PFSID[15:4] (63:52) 0x12
        //      -> 0x0120002000003003
        // qw1: S (0) 1, ADDR (63:12) 0x7FFFFFFFFFFFF000 -> 0x7FFFFFFFFFFFF001
        Descriptor d = Descriptor.deviceTlb(0x20, 0x123, 0, 0x7fff_ffff_ffff_f000L, true);
        expect(d, 3, 0x0120_0020_0000_3003L, 0x7FFF_FFFF_FFFF_F001L);
        assertEquals(0x123, d.pfsid());
        assertEquals(true, d.deviceSize());
    }

    @Test
    void interrupt_entry_cache_invalidation() {
        // type 4, G (4) 0, IM (31:27) 3 = 0x18000000, IIDX (47:32) 0x10 -> 0x0000001018000004
        expect(Descriptor.interruptEntryCache(false, 3, 0x10), 4, 0x0000_0010_1800_0004L, 0);
    }

    @Test
    void invalidation_wait() {
        // qw0: type 5, IF (4) 0x10, SW (5) 0x20, FN (6) 0x40, STATUS DATA (63:32) 0xCAFEBABE -> 0xCAFEBABE00000075
        // qw1: STATUS ADDR (63:2) 0x80000004
        Descriptor d = Descriptor.waitDesc(true, true, true, false, 0xCAFE_BABE, 0x8000_0004L);
        expect(d, 5, 0xCAFE_BABE_0000_0075L, 0x8000_0004L);
        assertEquals(0xCAFE_BABE, d.statusData());
        assertEquals(0x8000_0004L, d.statusAddr());
        // PD (7)
        assertEquals(0x85L, Descriptor.waitDesc(false, false, false, true, 0, 0).qw0());
    }

    @Test
    void pasid_based_iotlb_invalidation() {
        // qw0: type 6, G (5:4) 3 = 0x30, DID (31:16) 7, PASID (51:32) 0xFFFFF -> 0x000FFFFF00070036
        // qw1: AM (5:0) 9, IH (6) 0, ADDR (63:12) 0x40000000 -> 0x40000009
        Descriptor d = Descriptor.pasidIotlb(Descriptor.PIOTLB_PAGE, 7, 0xFFFFF, 0x4000_0000L, 9, false);
        expect(d, 6, 0x000F_FFFF_0007_0036L, 0x4000_0009L);
        assertEquals(0xFFFFF, d.pasid());
    }

    @Test
    void pasid_cache_invalidation() {
        // type 7, G (5:4) 1 = 0x10, DID (31:16) 0x10, PASID (51:32) 0x64 -> 0x0000006400100017
        expect(Descriptor.pasidCache(Descriptor.PC_PASID, 0x10, 0x64), 7, 0x0000_0064_0010_0017L, 0);
    }

    @Test
    void pasid_based_device_tlb_invalidation() {
        // qw0: type 8, QDEP (8:4) 0x1F = 0x1F0, PFSID[3:0] (15:12) 0, SID (31:16) 0x20, PASID (51:32) 5,
        //      PFSID[15:4] (63:52) 2 -> 0x00200005002001F8
        // qw1: G (0) 1, S (11) 0, ADDR (63:12) 0x1000 -> 0x1001
        Descriptor d = Descriptor.pasidDeviceTlb(0x20, 0x20, 0x1f, 5, 0x1000, false, true);
        expect(d, 8, 0x0020_0005_0020_01F8L, 0x1001L);
        assertEquals(0x1f, d.pasidQdep());
        assertEquals(0x20, d.rid());
        assertEquals(true, d.pasidDeviceGlobal());
    }

    @Test
    void page_group_response() {
        // qw0: type 9, PASID_P (4) 0x10, RESP (15:12) 1 = 0x1000, RID (31:16) 0x20, PASID (51:32) 0x42
        //      -> 0x0000004200201019
        // qw1: LPIG (2) 4, PRGI (11:3) 0x1FF = 0xFF8 -> 0xFFC
        Descriptor d = Descriptor.pageGroupResponse(0x20, true, 0x42, Descriptor.RESP_INVALID, 0x1ff, true, false, 0, 0);
        expect(d, 9, 0x0000_0042_0020_1019L, 0xFFCL);
        assertEquals(Descriptor.RESP_INVALID, d.resp());
        assertEquals(0x1ff, d.prgi());
        // private data rides in qw2/qw3 with PDP (5)
        Descriptor p = Descriptor.pageGroupResponse(0x20, false, 0, 0, 0, false, true, 0xAA, 0xBB);
        assertEquals(0x0020_0029L, p.qw0());
        assertEquals(0xAAL, p.qw2());
        assertEquals(0, p.reservedBits(true), "the private data of a page group response is not reserved");
    }

    @Test
    void the_type_has_upper_bits_11_9_and_reserved_bits_are_reported() {
        assertEquals(0x12, Descriptor.of(0x202, 0).type(), "bits 11:9 hold type[6:4]");
        assertEquals(-1L, Descriptor.of(0x202, 0).reservedBits(false), "an unknown type");
        assertEquals(0x100L, Descriptor.of(0x102, 0).reservedBits(false), "IOTLB qw0 bit 8");
        assertEquals(0x80L, Descriptor.of(0x2, 0x80).reservedBits(false), "IOTLB qw1 bits 11:7");
        assertEquals(0x1L, new Descriptor(0x2, 0, 0, 1).reservedBits(true), "qw3 of a 256-bit IOTLB descriptor");
        assertEquals(0, new Descriptor(0x2, 0, 0, 1).reservedBits(false), "qw3 is not fetched in 128-bit mode");
        assertEquals(-1L, Descriptor.of(0xA, 0).reservedBits(false), "type 10 is unknown");
        assertEquals(-1L, Descriptor.of(0, 0).reservedBits(false), "type 0 is no descriptor");
    }
}
