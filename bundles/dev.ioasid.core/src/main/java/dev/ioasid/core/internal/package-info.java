/**
 * The implementation of the ioasid API. Nothing here is exported.
 * <p>
 * Lock order: {@code IommuCore.lock} (backends, bound devices, contexts) before {@code ContextImpl.lock} (its
 * object table and attachments) before {@code IoPageTable.lock} (one IOAS's areas, reservations and domains).
 * Translation, the hot path, takes none of them.
 */
package dev.ioasid.core.internal;
