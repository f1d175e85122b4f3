package dev.ioasid.backend.smmuv3.internal;

import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.StampedLock;

import dev.ioasid.machine.PhysicalMemory;
import dev.ioasid.machine.Translation;

/**
 * The SMMUv3 device model: its register file, the command queue it consumes, the event and PRI queues it
 * produces, its configuration cache and TLB, held transactions, and the translation of incoming transactions
 * ({@link TranslationEngine}). Everything it reads lives in simulated physical memory in the spec's layout; it
 * knows nothing of domains or of the core. Software (the driver, or a test) programs it through
 * {@link #write32}/{@link #write64} and memory, and hears from it through {@link Interrupts}.
 * <p>
 * Register writes are serialized (the device's own monitor); translation reads configuration without locks.
 */
final class Smmu {
    /** The wired interrupts, as the driver's handlers see them. Called outside the SMMU's locks. */
    interface Interrupts {
        void eventQueue();

        void priQueue();

        void globalError(int activeErrors);
    }

    final String name;
    final PhysicalMemory memory;
    final Profile profile;
    final ConfigCache configCache;
    final Tlb tlb;
    final Walker walker;
    final OutQueue eventQueue;
    final OutQueue priQueue;
    final CommandQueue commandQueue;
    final Stalls held;
    final TranslationEngine engine;
    /**
     * Orders the driver's writes of structures the SMMU reads on a configuration miss (STEs, CDs of host-owned
     * tables): a fetch never sees half an entry. Translation hits never touch it.
     */
    final StampedLock structureLock = new StampedLock();

    // registers; guarded by this unless volatile
    private volatile int cr0;
    private int cr1;
    private int cr2;
    private volatile int gbpa = Registers.GBPA_ABORT;
    private volatile int irqCtrl;
    /** guarded by errors */
    private int gerror;
    /** guarded by errors */
    private int gerrorn;
    private final Object errors = new Object();
    private volatile long strtabBase;
    private volatile int strtabBaseCfg;
    private volatile Interrupts interrupts;

    final LongAdder faults = new LongAdder();
    final LongAdder commands = new LongAdder();

    Smmu(String name, PhysicalMemory memory, Profile profile, int tlbEntries, int steCacheEntries, int cdCacheEntries) {
        this.name = name;
        this.memory = memory;
        this.profile = profile;
        this.configCache = new ConfigCache(steCacheEntries, cdCacheEntries);
        this.tlb = new Tlb(tlbEntries);
        this.walker = new Walker(memory);
        this.eventQueue = new OutQueue(memory, EventRecord.SIZE);
        this.priQueue = new OutQueue(memory, 16);
        this.commandQueue = new CommandQueue(this);
        this.held = new Stalls(Math.max(1, profile.stallMax()));
        this.engine = new TranslationEngine(this);
    }

    void connect(Interrupts handlers) {
        this.interrupts = handlers;
    }

    // ---------------------------------------------------------------- registers

    synchronized int read32(int offset) {
        switch (offset) {
        case Registers.IDR0: case Registers.IDR1: case Registers.IDR2: case Registers.IDR3: case Registers.IDR4: case Registers.IDR5:
            return profile.idr(offset / 4);
        case Registers.IIDR: return profile.iidr();
        case Registers.AIDR: return profile.aidr();
        case Registers.CR0: case Registers.CR0ACK: return cr0;
        case Registers.CR1: return cr1;
        case Registers.CR2: return cr2;
        case Registers.GBPA: return gbpa;
        case Registers.IRQ_CTRL: case Registers.IRQ_CTRLACK: return irqCtrl;
        case Registers.GERROR: synchronized (errors) { return gerror; }
        case Registers.GERRORN: synchronized (errors) { return gerrorn; }
        case Registers.STRTAB_BASE_CFG: return strtabBaseCfg;
        case Registers.CMDQ_PROD: return commandQueue.prod();
        case Registers.CMDQ_CONS: return commandQueue.cons();
        case Registers.EVTQ_PROD: return eventQueue.prod();
        case Registers.EVTQ_CONS: return eventQueue.cons();
        case Registers.PRIQ_PROD: return priQueue.prod();
        case Registers.PRIQ_CONS: return priQueue.cons();
        default: return 0;
        }
    }

    synchronized long read64(int offset) {
        switch (offset) {
        case Registers.STRTAB_BASE: return strtabBase;
        case Registers.CMDQ_BASE: return commandQueue.readBase();
        case Registers.EVTQ_BASE: return eventQueue.readBase();
        case Registers.PRIQ_BASE: return priQueue.readBase();
        default: return Integer.toUnsignedLong(read32(offset));
        }
    }

    void write32(int offset, int value) {
        boolean processCommands = false;
        switch (offset) {
        case Registers.CMDQ_PROD: commandQueue.writeProd(value); commandQueue.process(); return;
        case Registers.CMDQ_CONS: commandQueue.writeCons(value); return;
        case Registers.EVTQ_PROD: eventQueue.writeProd(value); return;
        case Registers.EVTQ_CONS: eventQueue.writeCons(value); return;
        case Registers.PRIQ_PROD: priQueue.writeProd(value); return;
        case Registers.PRIQ_CONS: priQueue.writeCons(value); return;
        case Registers.GERRORN:
            synchronized (errors) {
                gerrorn = value;
                processCommands = ((gerror ^ gerrorn) & Registers.GERROR_CMDQ_ERR) == 0;
            }
            if (processCommands) {
                commandQueue.process();
            }
            return;
        default:
            break;
        }
        synchronized (this) {
            switch (offset) {
            case Registers.CR0:
                int was = cr0;
                cr0 = value & (Registers.CR0_SMMUEN | Registers.CR0_PRIQEN | Registers.CR0_EVTQEN | Registers.CR0_CMDQEN | Registers.CR0_ATSCHK);
                if ((was & Registers.CR0_SMMUEN) != 0 && (cr0 & Registers.CR0_SMMUEN) == 0) {
                    held.abortAll();
                }
                processCommands = (cr0 & Registers.CR0_CMDQEN) != 0 && (was & Registers.CR0_CMDQEN) == 0;
                break;
            case Registers.CR1: cr1 = value; break;
            case Registers.CR2: cr2 = value; break;
            case Registers.GBPA:
                if ((value & Registers.GBPA_UPDATE) != 0) {
                    gbpa = value & ~Registers.GBPA_UPDATE;
                }
                break;
            case Registers.IRQ_CTRL: irqCtrl = value & 7; break;
            case Registers.STRTAB_BASE_CFG: strtabBaseCfg = value; break;
            default: break;
            }
        }
        if (processCommands) {
            commandQueue.process();
        }
    }

    void write64(int offset, long value) {
        synchronized (this) {
            switch (offset) {
            case Registers.STRTAB_BASE: strtabBase = value & (Bits.mask(51, 6) | 1L << 62); return;
            case Registers.CMDQ_BASE: commandQueue.writeBase(value, profile.cmdqs()); return;
            case Registers.EVTQ_BASE: eventQueue.writeBase(value, profile.eventqs()); return;
            case Registers.PRIQ_BASE: priQueue.writeBase(value, profile.priqs()); return;
            default: break;
            }
        }
        write32(offset, (int) value);
    }

    boolean enabled() {
        return (cr0 & Registers.CR0_SMMUEN) != 0;
    }

    boolean gbpaAbort() {
        return (gbpa & Registers.GBPA_ABORT) != 0;
    }

    boolean eventQueueEnabled() {
        return (cr0 & Registers.CR0_EVTQEN) != 0;
    }

    boolean priQueueEnabled() {
        return (cr0 & Registers.CR0_PRIQEN) != 0;
    }

    boolean commandQueueEnabled() {
        return (cr0 & Registers.CR0_CMDQEN) != 0;
    }

    boolean atsCheck() {
        return (cr0 & Registers.CR0_ATSCHK) != 0;
    }

    long strtabBase() {
        return strtabBase;
    }

    int strtabBaseCfg() {
        return strtabBaseCfg;
    }

    /** Whether a command queue error waits for software's acknowledgement (GERROR.CMDQ_ERR != GERRORN.CMDQ_ERR). */
    boolean commandErrorPending() {
        synchronized (errors) {
            return ((gerror ^ gerrorn) & Registers.GERROR_CMDQ_ERR) != 0;
        }
    }

    /** Raises global errors that are not already active, and interrupts. */
    void raiseGlobalError(int bits) {
        int active;
        synchronized (errors) {
            int fresh = bits & ~(gerror ^ gerrorn);
            if (fresh == 0) {
                return;
            }
            gerror ^= fresh;
            active = gerror ^ gerrorn;
        }
        Interrupts h = interrupts;
        if (h != null && (irqCtrl & Registers.IRQ_GERROR) != 0) {
            h.globalError(active);
        }
    }

    void signalEventQueue() {
        Interrupts h = interrupts;
        if (h != null && (irqCtrl & Registers.IRQ_EVTQ) != 0) {
            h.eventQueue();
        }
    }

    void signalPriQueue() {
        Interrupts h = interrupts;
        if (h != null && (irqCtrl & Registers.IRQ_PRIQ) != 0) {
            h.priQueue();
        }
    }

    // ---------------------------------------------------------------- transactions

    /**
     * An untranslated transaction from a device: StreamID, SubstreamID ({@code -1}: none), address and
     * {@code Access} bits (with RETRY for a retried one). {@code priEnabled}: the device may answer a
     * translation fault with a page request (its PRI capability is enabled).
     */
    Translation translate(int sid, int ssid, long address, int access, boolean priEnabled) {
        return engine.translate(sid, ssid, address, access, priEnabled);
    }

    @Override
    public String toString() {
        return "smmuv3 " + name;
    }
}
