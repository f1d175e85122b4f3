package dev.ioasid.api;

import java.util.List;

/** One object of a context: its id, its type, the ids it depends on, and a one-line description. */
public record ObjectInfo(int id, ObjectType type, List<Integer> dependsOn, String detail) {
    public ObjectInfo {
        dependsOn = List.copyOf(dependsOn);
    }

    @Override
    public String toString() {
        return String.format("%3d %-11s %s%s", id, type, detail, dependsOn.isEmpty() ? "" : "  <- " + dependsOn);
    }
}
