package dev.ioasid.backend.smmuv3.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;

/**
 * A guest's invalidation commands ({@code iommu_viommu_arm_smmuv3_invalidate {le64 cmd[2]}}), converted as
 * Linux's arm_vsmmu_convert_user_cmd: only TLBI_NSNH_ALL, TLBI_NH_VA, NH_VAA, NH_ALL, NH_ASID, ATC_INV, CFGI_CD
 * and CFGI_CD_ALL; the VMID field becomes the parent's VMID (TLBI_NSNH_ALL becomes TLBI_NH_ALL of that VMID);
 * the StreamID of ATC_INV and CFGI_* is a guest (virtual) StreamID mapped to the physical one(s). Anything else
 * is EIO; entry_num comes back with the number handled before it.
 */
final class GuestCommands {
    /** Maps a guest StreamID to the physical StreamIDs it names; null when it is unknown (EIO). */
    @FunctionalInterface
    interface SidMap {
        int[] physical(int virtualSid);
    }

    private final DriverQueue queue;

    GuestCommands(DriverQueue queue) {
        this.queue = queue;
    }

    /** Converts one guest command; null for a command iommufd refuses. */
    static List<long[]> convert(long dw0, long dw1, int vmid, SidMap sids) {
        int op = Commands.opcode(dw0);
        List<long[]> out = new ArrayList<>();
        switch (op) {
        case Commands.TLBI_NSNH_ALL:
            out.add(Commands.tlbiNhAll(vmid));
            return out;
        case Commands.TLBI_NH_VA:
        case Commands.TLBI_NH_VAA:
        case Commands.TLBI_NH_ALL:
        case Commands.TLBI_NH_ASID:
            out.add(new long[] { Bits.set(dw0, 47, 32, vmid), dw1 });
            return out;
        case Commands.ATC_INV:
        case Commands.CFGI_CD:
        case Commands.CFGI_CD_ALL:
            int[] p = sids.physical(Commands.SID(dw0));
            if (p == null) {
                return null;
            }
            for (int sid : p) {
                out.add(new long[] { Bits.set(dw0, 63, 32, Integer.toUnsignedLong(sid)), dw1 });
            }
            return out;
        default:
            return null;
        }
    }

    /** Handles {@code entryNum} entries; returns entryNum or throws with progress. */
    int execute(int vmid, SidMap sids, byte[] entries, int entryLen, int entryNum) {
        if (entryNum == 0) {
            return 0;
        }
        if (entryLen < Commands.SIZE) {
            throw IommuException.of(Errno.EINVAL, "an SMMUv3 invalidation entry is %d bytes, not %d", Commands.SIZE, entryLen).withProgress(0);
        }
        int done = 0;
        for (int i = 0; i < entryNum; i++) {
            if (entries == null || (long) (i + 1) * entryLen > entries.length) {
                throw IommuException.of(Errno.EINVAL, "entry %d lies past the buffer", i).withProgress(done);
            }
            ByteBuffer b = ByteBuffer.wrap(entries, i * entryLen, entryLen).order(ByteOrder.LITTLE_ENDIAN);
            long dw0 = b.getLong();
            long dw1 = b.getLong();
            for (int k = Commands.SIZE; k < entryLen; k++) {
                if (entries[i * entryLen + k] != 0) {
                    throw IommuException.of(Errno.E2BIG, "entry %d has non-zero bytes past cmd[2]", i).withProgress(done);
                }
            }
            List<long[]> cmds = convert(dw0, dw1, vmid, sids);
            if (cmds == null) {
                throw IommuException.of(Errno.EIO, "entry %d: %s is not a command a guest may issue (or names an unknown StreamID)",
                        i, Commands.describe(dw0, dw1)).withProgress(done);
            }
            int ran = queue.issue(cmds);
            if (ran < cmds.size()) {
                throw IommuException.of(Errno.EIO, "entry %d: the SMMU refused %s (CERROR_ILL)", i, Commands.describe(dw0, dw1)).withProgress(done);
            }
            done++;
        }
        return done;
    }
}
