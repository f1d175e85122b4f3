package dev.ioasid.consumer.vdpa;

/**
 * A virtqueue as the device sees it.
 *
 * @param vq        its index
 * @param group     its group
 * @param num       its size (0 until set)
 * @param desc      the device address of the descriptor table
 * @param avail     the device address of the avail ring
 * @param used      the device address of the used ring
 * @param ready     enabled by the driver
 * @param lastAvail the avail index of the next chain the device will take
 * @param usedIdx   the used index the device last wrote
 * @param lastFault why the last kick stopped on this virtqueue (a DMA fault or a malformed chain), or null
 */
public record VringState(int vq, int group, int num, long desc, long avail, long used, boolean ready, int lastAvail, int usedIdx,
        String lastFault) {
}
