/**
 * The ioasid API: contexts, I/O address spaces, hardware page tables, devices, PASIDs and faults, with the
 * semantics and errnos of Linux iommufd.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package dev.ioasid.api;
