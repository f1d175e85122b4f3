package dev.ioasid.consumer.vdpa;

/**
 * The counters of the simulated net device, as vdpa_sim_net keeps them. A tx packet whose destination MAC is not
 * the device's (nor broadcast or multicast) is a drop; a tx packet with no rx buffer posted is an overrun.
 */
public record NetStats(long txPackets, long txBytes, long txErrors, long rxPackets, long rxBytes, long rxDrops, long rxOverruns,
        long rxErrors, long ctrlCommands, long ctrlErrors) {
}
