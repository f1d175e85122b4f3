package dev.ioasid.shell.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates FileInstall's drop-in directory ({@code felix.fileinstall.dir}, by default {@code load/} in the working
 * directory) so that a bundle can be dropped in right after start. This bundle starts before FileInstall
 * (same start level, sorted by name).
 */
@Component(immediate = true, service = {})
public final class LoadDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(LoadDirectory.class);

    @Activate
    public LoadDirectory(BundleContext context) {
        String dir = context.getProperty("felix.fileinstall.dir");
        Path path = Path.of(dir == null || dir.isBlank() ? "load" : dir);
        try {
            Files.createDirectories(path);
            LOG.debug("drop-in directory {}", path.toAbsolutePath());
        } catch (IOException e) {
            LOG.warn("cannot create the drop-in directory {}: {}", path.toAbsolutePath(), e.getMessage());
        }
    }
}
