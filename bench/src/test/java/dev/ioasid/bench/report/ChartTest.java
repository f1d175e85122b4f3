package dev.ioasid.bench.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

class ChartTest {
    private static final byte[] PNG_MAGIC = { (byte) 0x89, 'P', 'N', 'G' };

    @Test
    void a_chart_of_three_page_sizes_is_written_as_png() throws Exception {
        Path dir = Files.createDirectories(Path.of("target", "chart-test"));
        List<Chart.Point> points = List.of(new Chart.Point(4096, 1 << 20, 20), new Chart.Point(4096, 1L << 30, 70),
                new Chart.Point(2 << 20, 4 << 20, 500), new Chart.Point(2 << 20, 1L << 30, 50_000), new Chart.Point(1L << 30, 1L << 30, 100_000),
                new Chart.Point(1L << 30, 16L << 30, 900_000));
        Path png = dir.resolve("chart.png");
        Chart.write(points, "test", png);
        byte[] head = new byte[4];
        System.arraycopy(Files.readAllBytes(png), 0, head, 0, 4);
        assertArrayEquals(PNG_MAGIC, head);
        assertTrue(Files.size(png) > 1000);
    }
}
