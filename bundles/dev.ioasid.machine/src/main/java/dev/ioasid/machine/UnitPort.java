package dev.ioasid.machine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a unit's DMA enters: the machine asks the port's translator. While no hardware model drives the unit
 * the port blocks every request (there is never a bypass) and remembers the blocked requests in a small log,
 * so that nothing fails silently.
 */
public final class UnitPort {
    /** How many blocked requests the port remembers. */
    public static final int LOG_DEPTH = 64;

    private final UnitDescription unit;
    private final Translator blocked;
    private volatile Translator translator;
    /** guarded by itself */
    private final ArrayDeque<TranslationFault> log = new ArrayDeque<>();
    /** guarded by log */
    private long blockedCount;

    UnitPort(UnitDescription unit) {
        this.unit = unit;
        this.blocked = (dev, pasid, iova, access) -> record(new TranslationFault(unit.id(), "NO_BACKEND", 0, iova, pasid,
                access, false, null, "unit " + unit.id() + " (" + unit.vendor() + ") has no hardware model: DMA from "
                        + dev.address() + " blocked"));
        this.translator = blocked;
    }

    public UnitDescription unit() {
        return unit;
    }

    /** The translator of the unit's hardware model, or the blocking one while there is none. */
    public Translator translator() {
        return translator;
    }

    /** True while a hardware model translates for this unit. */
    public boolean isDriven() {
        return translator != blocked;
    }

    /** Installs the translator of the unit's hardware model. */
    public void drive(Translator t) {
        translator = t == null ? blocked : t;
    }

    /** Removes the hardware model: from now on every request is blocked. */
    public void undrive() {
        translator = blocked;
    }

    private TranslationFault record(TranslationFault f) {
        synchronized (log) {
            blockedCount++;
            if (log.size() == LOG_DEPTH) {
                log.removeFirst();
            }
            log.addLast(f);
        }
        return f;
    }

    /** The most recent requests blocked for want of a hardware model, oldest first. */
    public List<TranslationFault> blockedLog() {
        synchronized (log) {
            return new ArrayList<>(log);
        }
    }

    /** How many requests were blocked for want of a hardware model since the machine started. */
    public long blockedCount() {
        synchronized (log) {
            return blockedCount;
        }
    }
}
