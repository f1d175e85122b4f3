package dev.ioasid.machine;

/**
 * What an IOMMU answers for one page of a DMA request: the page it maps to, or a fault. A miss and a
 * permission failure are both faults, with different reasons; a translation never falls back to the
 * untranslated address.
 */
public sealed interface Translation permits TranslatedPage, TranslationFault {

    /** True for {@link TranslationFault}. */
    boolean isFault();
}
