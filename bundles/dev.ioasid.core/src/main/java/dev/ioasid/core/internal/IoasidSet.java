package dev.ioasid.core.internal;

import java.util.TreeMap;

import dev.ioasid.api.IoasidService;
import dev.ioasid.api.Ioasid;

/** A context's IOASIDs: user ids from 1, each with a hardware id from the global space. Guarded by the context's lock. */
final class IoasidSet {
    final String context;
    final TreeMap<Integer, Ioasid> byId = new TreeMap<>();
    int quota = IoasidService.DEFAULT_QUOTA;

    IoasidSet(String context) {
        this.context = context;
    }

    int nextId() {
        int id = 1;
        for (int used : byId.keySet()) {
            if (used != id) {
                break;
            }
            id++;
        }
        return id;
    }
}
