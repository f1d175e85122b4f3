package dev.ioasid.core.internal;

import dev.ioasid.machine.Access;

/** What a DMA names: a device by its RID, or (RID, PASID). A value, not an object ([T3]). */
record Endpoint(DeviceObject device, int pasid) {
    @Override
    public String toString() {
        return pasid == Access.NO_PASID ? "[" + device.device.address() + "]" : "[" + device.device.address() + ", PASID " + pasid + "]";
    }
}
