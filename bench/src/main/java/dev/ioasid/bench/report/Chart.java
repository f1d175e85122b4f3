package dev.ioasid.bench.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import dev.ioasid.bench.jmh.MapSweepBench;
import dev.ioasid.bench.report.Measurements.Score;

/** P3's chart: IOAS map throughput by mapping size, one line per largest leaf size. */
public final class Chart {
    /** One measured point: GiB mapped per second. */
    public record Point(long pageBytes, long sizeBytes, double gibPerSecond) {
    }

    private Chart() {
    }

    static double seconds(String unit) {
        return switch (unit) {
            case "s/op" -> 1;
            case "ms/op" -> 1e-3;
            case "us/op" -> 1e-6;
            case "ns/op" -> 1e-9;
            default -> throw new IllegalArgumentException("unit " + unit);
        };
    }

    /** The points of {@link MapSweepBench} for one backend, by page size then mapping size. */
    public static List<Point> points(Measurements m, String backend) {
        List<Point> out = new ArrayList<>();
        for (long page : MapSweepBench.PAGES) {
            for (long size : MapSweepBench.SIZES) {
                Score s = m.find("MapSweepBench.map", "backend", backend, "page", MapSweepBench.formatSize(page), "size", MapSweepBench.formatSize(size));
                if (s != null && s.median() > 0) {
                    out.add(new Point(page, size, size / (double) (1L << 30) / (s.median() * seconds(s.unit()))));
                }
            }
        }
        return out;
    }

    public static void write(List<Point> points, String title, Path png) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(560).title(title).xAxisTitle("mapping size (one IOAS map call)")
                .yAxisTitle("map throughput, GiB/s").build();
        // x is log2 of the size in MiB on a linear axis: XChart places custom labels wrongly on a log axis
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setYAxisDecimalPattern("#,##0.##");
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setMarkerSize(8);
        chart.setCustomXAxisTickLabelsFormatter(v -> Math.abs(v - Math.rint(v)) < 1e-6 && v >= 0 ? MapSweepBench.formatSize((1L << 20) << Math.round(v)) : "");
        for (long page : MapSweepBench.PAGES) {
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (Point p : points) {
                if (p.pageBytes() == page) {
                    x.add((double) Long.numberOfTrailingZeros(p.sizeBytes() >>> 20));
                    y.add(p.gibPerSecond());
                }
            }
            if (!x.isEmpty()) {
                String f = MapSweepBench.formatSize(page);
                XYSeries s = chart.addSeries(f.substring(0, f.length() - 1) + " " + f.charAt(f.length() - 1) + "iB leaves", x, y);
                s.setMarker(SeriesMarkers.CIRCLE);
                s.setLineStyle(new BasicStroke(2f));
            }
        }
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
