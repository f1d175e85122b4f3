/**
 * The backend SPI: what a hardware model of an IOMMU unit implements so that the core can drive it. One
 * {@link dev.ioasid.spi.IommuUnit} service per unit; domains in the vendor's own table format; translation on
 * the hot path.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package dev.ioasid.spi;
