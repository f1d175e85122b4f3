package dev.ioasid.machine;

import java.util.HexFormat;

/**
 * The outcome of a DMA: complete, or stopped by a fault after {@code done} bytes.
 *
 * @param done  bytes transferred before the end or the fault
 * @param data  for a read, the bytes read (all of them, or the first {@code done})
 * @param fault the fault that stopped it, or null
 */
public record DmaResult(long done, byte[] data, TranslationFault fault) {

    public boolean ok() {
        return fault == null;
    }

    @Override
    public String toString() {
        if (fault == null) {
            return data == null || data.length == 0 ? "ok" : "ok " + HexFormat.of().formatHex(data);
        }
        return "fault " + fault.reason() + " after " + done + " bytes: " + fault;
    }
}
