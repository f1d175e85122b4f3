package dev.ioasid.consumer.vdpa.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.IntFunction;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ioasid.api.Errno;
import dev.ioasid.api.IommuException;
import dev.ioasid.consumer.vdpa.NetStats;
import dev.ioasid.consumer.vdpa.VirtioNet;
import dev.ioasid.consumer.vdpa.VringState;

/**
 * The simulated net device, after Linux's vdpa_sim_net: 3 virtqueues (rx, tx, ctrl), 2 groups (data: rx and tx;
 * ctrl), 2 address spaces, a loopback from tx to rx with vdpa_sim_net's receive filter, and the control command
 * VIRTIO_NET_CTRL_MAC_ADDR_SET. It reaches guest memory only through the {@link GuestDma} of the address space
 * its group is in; it knows nothing of IOASes or PASIDs. Guarded by the owning device's lock.
 */
final class NetSim {
    static final int NVQS = 3;
    static final int NGROUPS = 2;
    static final int NAS = 2;
    /** vdpa_sim's buffer: a packet is at most one page. */
    static final int BUFFER = 4096;
    private static final Logger LOG = LoggerFactory.getLogger(NetSim.class);

    private final String name;
    /** the DMA of each address space, from whoever backs them */
    private final IntFunction<GuestDma> addressSpaces;
    private final SplitVirtqueue[] vqs = new SplitVirtqueue[NVQS];
    private final int[] groupAsid = new int[NGROUPS];
    private final byte[] defaultMac;
    private byte[] mac;
    private int status;
    private long txPackets, txBytes, txErrors, rxPackets, rxBytes, rxDrops, rxOverruns, rxErrors, ctrlCommands, ctrlErrors;

    NetSim(String name, byte[] mac, IntFunction<GuestDma> addressSpaces) {
        this.name = name;
        this.defaultMac = mac.clone();
        this.mac = mac.clone();
        this.addressSpaces = addressSpaces;
        for (int i = 0; i < NVQS; i++) {
            vqs[i] = new SplitVirtqueue(i, i == VirtioNet.CTRL ? VirtioNet.GROUP_CTRL : VirtioNet.GROUP_DATA);
        }
    }

    // ------------------------------------------------------------------ configuration

    SplitVirtqueue vq(int index) {
        if (index < 0 || index >= NVQS) {
            throw IommuException.of(Errno.EINVAL, "%s has no virtqueue %d (it has %d)", name, index, NVQS);
        }
        return vqs[index];
    }

    static void checkGroup(int group) {
        if (group < 0 || group >= NGROUPS) {
            throw IommuException.of(Errno.EINVAL, "no virtqueue group %d (there are %d)", group, NGROUPS);
        }
    }

    static void checkAsid(int asid) {
        if (asid < 0 || asid >= NAS) {
            throw IommuException.of(Errno.EINVAL, "no address space %d (there are %d)", asid, NAS);
        }
    }

    void setGroupAsid(int group, int asid) {
        checkGroup(group);
        checkAsid(asid);
        groupAsid[group] = asid;
        LOG.debug("{}: group {} -> AS {}", name, group, asid);
    }

    int groupAsid(int group) {
        checkGroup(group);
        return groupAsid[group];
    }

    int status() {
        return status;
    }

    void setStatus(int s) {
        if (s == 0) {
            reset();
            return;
        }
        if ((status & ~s) != 0) {
            throw IommuException.of(Errno.EINVAL, "status 0x%x would clear bits of 0x%x without a reset", s, status);
        }
        status = s & 0xff;
    }

    /** A device reset: virtqueues, group address spaces and status; the MAC a driver set stays, as in vdpa_sim. */
    void reset() {
        for (SplitVirtqueue v : vqs) {
            v.reset();
        }
        Arrays.fill(groupAsid, 0);
        status = 0;
    }

    /** Reset, and the MAC back to the machine's: the state of a device nobody has opened. */
    void powerOn() {
        reset();
        mac = defaultMac.clone();
    }

    byte[] config() {
        ByteBuffer b = ByteBuffer.allocate(VirtioNet.CONFIG_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.put(mac);
        b.putShort((short) VirtioNet.S_LINK_UP);
        b.putShort((short) 1);
        b.putShort((short) 1500);
        return b.array();
    }

    void setVringNum(int index, int num) {
        SplitVirtqueue v = vq(index);
        if (num <= 0 || num > VirtioNet.QUEUE_MAX || Integer.bitCount(num) != 1) {
            throw IommuException.of(Errno.EINVAL, "virtqueue size %d is not a power of two from 1 to %d", num, VirtioNet.QUEUE_MAX);
        }
        v.num = num;
    }

    void setVringAddr(int index, long desc, long avail, long used) {
        SplitVirtqueue v = vq(index);
        if ((desc & 15) != 0 || (avail & 1) != 0 || (used & 3) != 0) {
            throw IommuException.of(Errno.EINVAL, "misaligned ring: desc 0x%x (16), avail 0x%x (2), used 0x%x (4)", desc, avail, used);
        }
        v.desc = desc;
        v.avail = avail;
        v.used = used;
    }

    VringState state(int index) {
        return vq(index).state();
    }

    NetStats stats() {
        return new NetStats(txPackets, txBytes, txErrors, rxPackets, rxBytes, rxDrops, rxOverruns, rxErrors, ctrlCommands, ctrlErrors);
    }

    // ------------------------------------------------------------------ the device's work

    /** A notification: the ctrl virtqueue's commands, then the tx loopback, as vdpa_sim_net's work function. */
    int kick(int index) {
        vq(index);
        if ((status & VirtioNet.STATUS_DRIVER_OK) == 0) {
            return 0;
        }
        return handleCtrl() + handleTx();
    }

    private GuestDma dmaOf(SplitVirtqueue v) {
        return addressSpaces.apply(groupAsid[v.group]);
    }

    private int handleCtrl() {
        SplitVirtqueue cvq = vqs[VirtioNet.CTRL];
        if (!cvq.ready) {
            return 0;
        }
        cvq.lastFault = null;
        GuestDma dma = dmaOf(cvq);
        int done = 0;
        try {
            for (SplitVirtqueue.Chain c = cvq.peek(dma); c != null; c = cvq.peek(dma)) {
                byte[] req = SplitVirtqueue.pull(dma, c.readable(), BUFFER);
                int ack = VirtioNet.CTRL_ERR;
                if (req.length >= 2 + 6 && req[0] == VirtioNet.CTRL_MAC && req[1] == VirtioNet.CTRL_MAC_ADDR_SET) {
                    mac = Arrays.copyOfRange(req, 2, 8);
                    ack = VirtioNet.CTRL_OK;
                    LOG.debug("{}: MAC set to {}", name, macString(mac));
                }
                ctrlCommands++;
                if (ack != VirtioNet.CTRL_OK) {
                    ctrlErrors++;
                }
                int written = SplitVirtqueue.push(dma, c.writable(), new byte[] { (byte) ack });
                cvq.complete(dma, c, written);
                done++;
            }
        } catch (VqStop e) {
            stop(cvq, e);
            ctrlErrors++;
        }
        return done;
    }

    private int handleTx() {
        SplitVirtqueue txq = vqs[VirtioNet.TX];
        SplitVirtqueue rxq = vqs[VirtioNet.RX];
        if (!txq.ready || !rxq.ready) {
            return 0;
        }
        txq.lastFault = null;
        rxq.lastFault = null;
        GuestDma txDma = dmaOf(txq);
        GuestDma rxDma = dmaOf(rxq);
        int done = 0;
        while (true) {
            SplitVirtqueue.Chain t;
            byte[] packet;
            try {
                t = txq.peek(txDma);
                if (t == null) {
                    break;
                }
                packet = SplitVirtqueue.pull(txDma, t.readable(), BUFFER);
                if (!receiveFilter(packet)) {
                    txq.complete(txDma, t, 0);
                    txPackets++;
                    rxDrops++;
                    done++;
                    continue;
                }
            } catch (VqStop e) {
                stop(txq, e);
                txErrors++;
                break;
            }
            SplitVirtqueue.Chain r;
            int written;
            try {
                r = rxq.peek(rxDma);
                if (r == null) {
                    rxOverruns++;
                } else {
                    written = SplitVirtqueue.push(rxDma, r.writable(), packet);
                    rxq.complete(rxDma, r, written);
                    rxPackets++;
                    rxBytes += written;
                    done++;
                }
            } catch (VqStop e) {
                stop(rxq, e);
                rxErrors++;
                break;
            }
            try {
                txq.complete(txDma, t, 0);
                txPackets++;
                txBytes += packet.length;
                done++;
            } catch (VqStop e) {
                stop(txq, e);
                txErrors++;
                break;
            }
            if (r == null) {
                break;
            }
        }
        return done;
    }

    private void stop(SplitVirtqueue v, VqStop e) {
        v.lastFault = e.getMessage();
        LOG.debug("{}: vq {} stopped: {}", name, v.index, e.getMessage());
    }

    /** vdpa_sim_net's receive_filter: a whole header and a destination MAC that is broadcast, multicast or ours. */
    private boolean receiveFilter(byte[] packet) {
        int h = VirtioNet.NET_HDR_SIZE;
        if (packet.length < h + 6) {
            return false;
        }
        if ((packet[h] & 1) != 0) {
            return true;
        }
        return Arrays.equals(packet, h, h + 6, mac, 0, 6);
    }

    static String macString(byte[] mac) {
        StringBuilder sb = new StringBuilder();
        for (byte b : mac) {
            sb.append(sb.length() == 0 ? "" : ":").append(String.format("%02x", b & 0xff));
        }
        return sb.toString();
    }

    /** Parses "52:54:00:12:34:56". @throws IllegalArgumentException when it is not six hex bytes */
    static byte[] parseMac(String text) {
        String[] parts = text.split(":");
        if (parts.length != 6) {
            throw new IllegalArgumentException("not a MAC address: " + text);
        }
        byte[] out = new byte[6];
        for (int i = 0; i < 6; i++) {
            out[i] = (byte) Integer.parseInt(parts[i], 16);
        }
        return out;
    }
}
