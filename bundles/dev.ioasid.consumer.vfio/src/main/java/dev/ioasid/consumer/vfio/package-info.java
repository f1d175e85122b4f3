/**
 * VFIO-style device objects: the cdev flow of VFIO over iommufd (BIND_IOMMUFD, ATTACH_IOMMUFD_PT,
 * DETACH_IOMMUFD_PT, with and without PASID), and the work queues of a simulated assignable device in the style
 * of Intel DSA or SIOV.
 * <p>
 * There is no PASID or mapping API here ([T1]): every attach goes to the core's {@code EndpointService}, and a
 * work queue only accepts a PASID that the VMM got from the core's {@code IoasidService} and attached.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package dev.ioasid.consumer.vfio;
