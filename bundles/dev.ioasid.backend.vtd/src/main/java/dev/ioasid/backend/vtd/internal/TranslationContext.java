package dev.ioasid.backend.vtd.internal;

/**
 * What the configuration walk (root, context, PASID directory, PASID entry) found for a requester and PASID:
 * everything the page walk needs. It is what the context cache (legacy mode) or the PASID cache (scalable mode)
 * holds.
 *
 * @param sid      source id (RID) of the requester
 * @param pasid    the PASID of the PASID entry used (RID_PASID for requests without one); -1 in legacy mode
 * @param did      Domain Identifier, the IOTLB tag
 * @param pgtt     PASID Granular Translation Type (legacy TT maps to second-stage or pass-through)
 * @param ssLevels second-stage levels (3, 4 or 5)
 * @param ssptptr  second-stage table root
 * @param fsLevels first-stage levels (4 or 5)
 * @param fsptptr  first-stage table root (guest-physical when nested)
 * @param sre      Supervisor Request Enable
 * @param wpe      Write Protect Enable
 * @param eafe     Extended Accessed Flag Enable
 * @param ssade    Second-Stage A/D Enable
 * @param fpd      a Fault Processing Disable bit on the way was set
 * @param pre      Page Request Enable of the context entry
 * @param legacy   found through legacy-mode tables
 */
record TranslationContext(int sid, int pasid, int did, int pgtt, int ssLevels, long ssptptr, int fsLevels, long fsptptr, boolean sre,
        boolean wpe, boolean eafe, boolean ssade, boolean fpd, boolean pre, boolean legacy) {

    boolean usesSecondStage() {
        return pgtt == PasidEntry.PGTT_SECOND_STAGE || pgtt == PasidEntry.PGTT_NESTED;
    }

    boolean usesFirstStage() {
        return pgtt == PasidEntry.PGTT_FIRST_STAGE || pgtt == PasidEntry.PGTT_NESTED;
    }
}
