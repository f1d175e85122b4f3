package dev.ioasid.api;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/** Opens and finds contexts: the equivalent of open("/dev/iommu"). */
@ProviderType
public interface ContextService {

    /**
     * Opens a new context.
     *
     * @throws IommuException EINVAL for an empty or blank name, EEXIST if an open context has this name
     */
    Context open(String name);

    /** The open context with this name. @throws IommuException ENOENT if there is none */
    Context context(String name);

    /** Every open context, in the order they were opened. */
    List<Context> contexts();
}
