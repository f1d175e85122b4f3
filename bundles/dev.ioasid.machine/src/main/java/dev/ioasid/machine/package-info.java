/**
 * The simulated machine: sparse off-heap physical memory with a frame allocator, user address spaces with
 * pins, the PCI topology, IOMMU unit ports and the DMA engine that asks a unit to translate, page by page.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package dev.ioasid.machine;
