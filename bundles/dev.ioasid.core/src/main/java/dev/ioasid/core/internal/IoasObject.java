package dev.ioasid.core.internal;

import java.util.List;

import dev.ioasid.api.ObjectType;

/** An IOAS: a name in the context's table for an {@link IoPageTable}. Its users are the paging HWPTs on it. */
final class IoasObject extends IommuObject {
    final IoPageTable table;

    IoasObject(ContextImpl ctx) {
        super(ctx, ObjectType.IOAS);
        this.table = new IoPageTable(ctx.name() + "/ioas", ctx.core.machine.memory());
    }

    @Override
    List<Integer> dependsOn() {
        return List.of();
    }

    @Override
    String detail() {
        List<IoArea> areas = table.areas();
        long bytes = areas.stream().mapToLong(a -> a.length).sum();
        return String.format("%d area(s), 0x%x bytes, align 0x%x%s", areas.size(), bytes, table.alignment(),
                table.hugePages() ? "" : ", huge pages off");
    }

    @Override
    void destroy() {
        table.destroy();
    }
}
