package dev.ioasid.backend.vtd.internal;

/**
 * DMA-remapping fault reasons with the spec's numbers (hw-formats.md 3.1; QEMU's VTDFaultReason names). A
 * "qualified" fault is not recorded when a Fault Processing Disable bit (context entry, PASID-directory entry,
 * PASID entry) on the way was set; the others are always recorded.
 * <p>
 * Of the reference's list (hw-formats.md 3.1) the model leaves out two groups, which no request of this model can
 * reach: 0xD (a Translation Request or Translated Request blocked by the TT field of a present context entry: the
 * model's devices send untranslated requests only, no ATS Translation or Translated Requests) and 0x20-0x26
 * (interrupt remapping: the model has no interrupt remapping table). A reserved or unsupported TT of a legacy
 * context entry and a reserved PGTT of a PASID entry are invalid programming (0x3, 0x5B), not 0xD.
 * <p>
 * Three reasons are not in the reference's list. {@link #SM_PRE_ABS} (0x47) is QEMU's {@code VTD_FR_SM_PRE_ABS}
 * (SCT.8). {@link #FS_EXECUTE} (0x82) and {@link #FS_PRIVILEGE} (0x83): the reference gives no code for the
 * first stage's execute (XD) and supervisor request (SRE) checks; 0x82 and 0x83 were chosen by this model and
 * are not known to be the spec's numbers.
 */
enum FaultReason {
    ROOT_ENTRY_P(0x1, false, "root entry not present"),
    CONTEXT_ENTRY_P(0x2, true, "context entry not present"),
    CONTEXT_ENTRY_INV(0x3, true, "invalid programming of a context entry"),
    ADDR_BEYOND_MGAW(0x4, true, "input address above the address width"),
    WRITE(0x5, true, "write denied by the second stage"),
    READ(0x6, true, "read denied by the second stage"),
    PAGING_ENTRY_INV(0x7, true, "second-stage paging entry access failed"),
    ROOT_TABLE_INV(0x8, false, "root table access failed"),
    CONTEXT_TABLE_INV(0x9, false, "context table access failed"),
    ROOT_ENTRY_RSVD(0xA, false, "reserved bits set in a root entry"),
    CONTEXT_ENTRY_RSVD(0xB, false, "reserved bits set in a context entry"),
    PAGING_ENTRY_RSVD(0xC, true, "reserved bits set in a second-stage paging entry"),
    INTERRUPT_ADDR(0xE, true, "output address in the interrupt address range"),
    SM_PRE_ABS(0x47, true, "page request needed but PRE is clear in the scalable-mode context entry"),
    PASID_DIR_ACCESS_ERR(0x50, false, "PASID directory access failed"),
    PASID_DIR_ENTRY_P(0x51, true, "PASID directory entry not present"),
    PASID_TABLE_ACCESS_ERR(0x58, false, "PASID table access failed"),
    PASID_ENTRY_P(0x59, true, "PASID entry not present"),
    PASID_TABLE_ENTRY_INV(0x5B, true, "invalid programming of a PASID entry"),
    FS_PAGING_ENTRY_INV(0x70, true, "first-stage paging entry access failed"),
    FS_PAGING_ENTRY_P(0x71, true, "first-stage paging entry not present"),
    FS_PAGING_ENTRY_RSVD(0x72, true, "reserved bits set in a first-stage paging entry"),
    PASID_ENTRY_FSPTPTR_INV(0x73, true, "FSPTPTR of the PASID entry cannot be accessed"),
    FS_NON_CANONICAL(0x80, true, "input address not canonical for the first stage"),
    FS_PAGING_ENTRY_US(0x81, true, "user request to a supervisor page (U/S)"),
    /** Not in the reference: the reference gives no code for the XD check; 0x82 was chosen by this model. */
    FS_EXECUTE(0x82, true, "execute request to a page with XD set"),
    /** Not in the reference: the reference gives no code for the SRE check; 0x83 was chosen by this model. */
    FS_PRIVILEGE(0x83, true, "supervisor request while SRE is clear"),
    SM_WRITE(0x85, true, "write denied by the first stage"),
    SM_INTERRUPT_ADDR(0x87, true, "output address in the interrupt address range (scalable mode)"),
    FS_BIT_UPDATE_FAILED(0x91, true, "first-stage A/D update failed");

    final int code;
    final boolean qualified;
    final String description;

    FaultReason(int code, boolean qualified, String description) {
        this.code = code;
        this.qualified = qualified;
        this.description = description;
    }

    static FaultReason of(int code) {
        for (FaultReason r : values()) {
            if (r.code == code) {
                return r;
            }
        }
        return null;
    }
}
