package dev.ioasid.machine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Sparse physical memory, little-endian, in 4 KiB frames backed off-heap on first write. A frame never written
 * reads as zeros and costs nothing. Aligned 64-bit loads and stores are single-copy atomic with acquire and
 * release ordering, so a table walker on one thread sees whole entries written by a mapper on another; hardware
 * A/D-bit updates use {@link #compareAndSet64}.
 * <p>
 * An address outside {@code [0, size)} raises {@link BusError}.
 */
public final class PhysicalMemory {
    public static final int FRAME_SHIFT = 12;
    public static final int FRAME_SIZE = 1 << FRAME_SHIFT;
    private static final int LEAF_BITS = 12; // 4096 frames (16 MiB) per directory leaf

    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private final long size;
    private final AtomicReferenceArray<AtomicReferenceArray<ByteBuffer>> directory;
    private final AtomicLong backedFrames = new AtomicLong();

    /** @param size bytes of physical address space, a multiple of 16 MiB */
    public PhysicalMemory(long size) {
        if (size <= 0 || (size & ((1L << (FRAME_SHIFT + LEAF_BITS)) - 1)) != 0) {
            throw new IllegalArgumentException("physical memory size must be a positive multiple of 16 MiB: " + size);
        }
        this.size = size;
        this.directory = new AtomicReferenceArray<>((int) (size >>> (FRAME_SHIFT + LEAF_BITS)));
    }

    /** Bytes of physical address space. */
    public long size() {
        return size;
    }

    /** Frames that hold data (written at least once and not discarded): the off-heap memory in use. */
    public long backedFrames() {
        return backedFrames.get();
    }

    /** True when {@code [pa, pa + length)} lies inside physical memory. */
    public boolean contains(long pa, long length) {
        return pa >= 0 && length >= 0 && pa <= size - length;
    }

    private void check(long pa, long length) {
        if (!contains(pa, length)) {
            throw new BusError(pa, length);
        }
    }

    /** The frame's buffer, or null when it was never written. */
    private ByteBuffer frame(long pa) {
        long pfn = pa >>> FRAME_SHIFT;
        AtomicReferenceArray<ByteBuffer> leaf = directory.get((int) (pfn >>> LEAF_BITS));
        return leaf == null ? null : leaf.get((int) (pfn & ((1 << LEAF_BITS) - 1)));
    }

    private ByteBuffer frameForWrite(long pa) {
        long pfn = pa >>> FRAME_SHIFT;
        int di = (int) (pfn >>> LEAF_BITS);
        AtomicReferenceArray<ByteBuffer> leaf = directory.get(di);
        if (leaf == null) {
            directory.compareAndSet(di, null, new AtomicReferenceArray<>(1 << LEAF_BITS));
            leaf = directory.get(di);
        }
        int li = (int) (pfn & ((1 << LEAF_BITS) - 1));
        ByteBuffer b = leaf.get(li);
        if (b == null) {
            ByteBuffer fresh = ByteBuffer.allocateDirect(FRAME_SIZE + 8).alignedSlice(8);
            fresh.limit(FRAME_SIZE);
            fresh = fresh.slice().order(ByteOrder.LITTLE_ENDIAN);
            if (leaf.compareAndSet(li, null, fresh)) {
                backedFrames.incrementAndGet();
                b = fresh;
            } else {
                b = leaf.get(li);
            }
        }
        return b;
    }

    /** Drops the contents of whole frames: they read as zeros again and free their off-heap memory. */
    public void discard(long pa, long frames) {
        check(pa, frames << FRAME_SHIFT);
        for (long i = 0; i < frames; i++) {
            long pfn = (pa >>> FRAME_SHIFT) + i;
            AtomicReferenceArray<ByteBuffer> leaf = directory.get((int) (pfn >>> LEAF_BITS));
            if (leaf != null && leaf.getAndSet((int) (pfn & ((1 << LEAF_BITS) - 1)), null) != null) {
                backedFrames.decrementAndGet();
            }
        }
    }

    private static int offset(long pa) {
        return (int) (pa & (FRAME_SIZE - 1));
    }

    public int load8(long pa) {
        check(pa, 1);
        ByteBuffer f = frame(pa);
        return f == null ? 0 : f.get(offset(pa)) & 0xff;
    }

    public int load16(long pa) {
        check(pa, 2);
        if (offset(pa) <= FRAME_SIZE - 2) {
            ByteBuffer f = frame(pa);
            return f == null ? 0 : f.getShort(offset(pa)) & 0xffff;
        }
        return load8(pa) | load8(pa + 1) << 8;
    }

    public int load32(long pa) {
        check(pa, 4);
        int off = offset(pa);
        if ((off & 3) == 0) {
            ByteBuffer f = frame(pa);
            return f == null ? 0 : (int) INT.getAcquire(f, off);
        }
        if (off <= FRAME_SIZE - 4) {
            ByteBuffer f = frame(pa);
            return f == null ? 0 : f.getInt(off);
        }
        return load16(pa) | load16(pa + 2) << 16;
    }

    public long load64(long pa) {
        check(pa, 8);
        int off = offset(pa);
        if ((off & 7) == 0) {
            ByteBuffer f = frame(pa);
            return f == null ? 0 : (long) LONG.getAcquire(f, off);
        }
        if (off <= FRAME_SIZE - 8) {
            ByteBuffer f = frame(pa);
            return f == null ? 0 : f.getLong(off);
        }
        return (load32(pa) & 0xffffffffL) | (long) load32(pa + 4) << 32;
    }

    public void store8(long pa, int value) {
        check(pa, 1);
        frameForWrite(pa).put(offset(pa), (byte) value);
    }

    public void store16(long pa, int value) {
        check(pa, 2);
        if (offset(pa) <= FRAME_SIZE - 2) {
            frameForWrite(pa).putShort(offset(pa), (short) value);
        } else {
            store8(pa, value);
            store8(pa + 1, value >>> 8);
        }
    }

    public void store32(long pa, int value) {
        check(pa, 4);
        int off = offset(pa);
        if ((off & 3) == 0) {
            INT.setRelease(frameForWrite(pa), off, value);
        } else if (off <= FRAME_SIZE - 4) {
            frameForWrite(pa).putInt(off, value);
        } else {
            store16(pa, value);
            store16(pa + 2, value >>> 16);
        }
    }

    public void store64(long pa, long value) {
        check(pa, 8);
        int off = offset(pa);
        if ((off & 7) == 0) {
            LONG.setRelease(frameForWrite(pa), off, value);
        } else if (off <= FRAME_SIZE - 8) {
            frameForWrite(pa).putLong(off, value);
        } else {
            store32(pa, (int) value);
            store32(pa + 4, (int) (value >>> 32));
        }
    }

    /**
     * Atomically replaces an aligned 64-bit value, as hardware does when it sets Accessed and Dirty bits.
     *
     * @return true when the value was {@code expected} and is now {@code value}
     */
    public boolean compareAndSet64(long pa, long expected, long value) {
        check(pa, 8);
        if ((pa & 7) != 0) {
            throw new IllegalArgumentException("compareAndSet64 needs an 8-byte aligned address: 0x" + Long.toHexString(pa));
        }
        if (expected != 0 && frame(pa) == null) {
            return false; // a never-written frame reads zero: no need to back it to fail
        }
        return LONG.compareAndSet(frameForWrite(pa), offset(pa), expected, value);
    }

    /** The frame's bytes from {@code offset} on, as little-endian longs. */
    private static LongBuffer longs(ByteBuffer frame, int offset) {
        return frame.duplicate().position(offset).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer();
    }

    /** The frame offset of a run of {@code count} 64-bit values at {@code pa}, which must be aligned and inside one frame. */
    private int runOffset(String op, long pa, int count) {
        check(pa, 8L * count);
        int o = offset(pa);
        if ((o & 7) != 0 || o + 8 * count > FRAME_SIZE) {
            throw new IllegalArgumentException(String.format("%s of %d values at 0x%x leaves its frame or is unaligned", op, count, pa));
        }
        return o;
    }

    /**
     * Stores {@code count} aligned 64-bit values from {@code values[off]} at {@code pa}, all inside one frame: what
     * a page-table writer does to fill a table. Each store is single-copy atomic; a release fence at the end
     * publishes them all before anything the caller stores next (the pointer to the table, say).
     */
    public void store64s(long pa, long[] values, int off, int count) {
        int o = runOffset("store64s", pa, count);
        ByteBuffer f = frameForWrite(pa);
        // a bulk copy between aligned long arrays moves whole 8-byte words (HotSpot's atomic conjoint copy)
        longs(f, o).put(values, off, count);
        VarHandle.releaseFence();
    }

    /**
     * Loads {@code count} aligned 64-bit values at {@code pa} into {@code values[off]}, all inside one frame.
     *
     * @return true when every value is 0 (a frame never written reads as zeros)
     */
    public boolean load64s(long pa, long[] values, int off, int count) {
        int o = runOffset("load64s", pa, count);
        ByteBuffer f = frame(pa);
        if (f == null) {
            java.util.Arrays.fill(values, off, off + count, 0L);
            return true;
        }
        longs(f, o).get(values, off, count);
        VarHandle.acquireFence();
        long any = 0;
        for (int i = 0; i < count; i++) {
            any |= values[off + i];
        }
        return any == 0;
    }

    /** Reads {@code length} bytes into {@code dst} at {@code off}. */
    public void read(long pa, byte[] dst, int off, int length) {
        check(pa, length);
        while (length > 0) {
            int inFrame = Math.min(length, FRAME_SIZE - offset(pa));
            ByteBuffer f = frame(pa);
            if (f == null) {
                java.util.Arrays.fill(dst, off, off + inFrame, (byte) 0);
            } else {
                f.get(offset(pa), dst, off, inFrame);
            }
            pa += inFrame;
            off += inFrame;
            length -= inFrame;
        }
    }

    public byte[] read(long pa, int length) {
        byte[] b = new byte[length];
        read(pa, b, 0, length);
        return b;
    }

    /** Writes {@code length} bytes from {@code src} at {@code off}. */
    public void write(long pa, byte[] src, int off, int length) {
        check(pa, length);
        while (length > 0) {
            int inFrame = Math.min(length, FRAME_SIZE - offset(pa));
            frameForWrite(pa).put(offset(pa), src, off, inFrame);
            pa += inFrame;
            off += inFrame;
            length -= inFrame;
        }
    }

    public void write(long pa, byte[] src) {
        write(pa, src, 0, src.length);
    }

    /** Sets {@code length} bytes to zero; frames that become wholly zero are not backed. */
    public void zero(long pa, long length) {
        check(pa, length);
        while (length > 0) {
            int inFrame = (int) Math.min(length, FRAME_SIZE - offset(pa));
            if (inFrame == FRAME_SIZE) {
                discard(pa, 1);
            } else {
                ByteBuffer f = frame(pa);
                if (f != null) {
                    for (int i = 0; i < inFrame; i++) {
                        f.put(offset(pa) + i, (byte) 0);
                    }
                }
            }
            pa += inFrame;
            length -= inFrame;
        }
    }

    /** Copies {@code length} bytes between physical addresses (the ranges may not overlap). */
    public void copy(long src, long dst, long length) {
        check(src, length);
        check(dst, length);
        byte[] buf = new byte[FRAME_SIZE];
        while (length > 0) {
            int n = (int) Math.min(length, FRAME_SIZE);
            read(src, buf, 0, n);
            write(dst, buf, 0, n);
            src += n;
            dst += n;
            length -= n;
        }
    }
}
