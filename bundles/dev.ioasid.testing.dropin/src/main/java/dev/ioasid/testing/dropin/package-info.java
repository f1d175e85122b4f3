/** The FileInstall drop-in probe of the integration tests. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package dev.ioasid.testing.dropin;
