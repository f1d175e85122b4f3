/**
 * vhost-vdpa-style devices: virtqueue groups, address spaces and IOTLB messages v2 with an ASID, batched, as
 * in Linux's vhost-vdpa; here each address space is an IOAS of the core, reached by the device's RID or by a
 * (RID, PASID) that the VMM got from the core's {@code IoasidService}.
 * <p>
 * There is no PASID or mapping API here ([T1]): an IOTLB UPDATE is an IOAS map, an INVALIDATE an IOAS unmap, and
 * an address space's attachment is the core's HWPT allocation and attach.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package dev.ioasid.consumer.vdpa;
