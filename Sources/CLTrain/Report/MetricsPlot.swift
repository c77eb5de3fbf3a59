import Foundation

/// Learning curves as a self-contained SVG: training and test loss on the left, test accuracy on the right.
/// Two panels rather than two y-axes, because curves that share a plot invite comparing heights that mean
/// different things.
public enum MetricsPlot {
    public static func svg(_ epochs: [EpochMetrics]) -> String {
        let width = 900.0, height = 400.0
        let last = epochs.last
        let title = last.map { "Training: \($0.epoch) epoch\($0.epoch == 1 ? "" : "s"), test accuracy "
            + (($0.testAccuracy * 100).isFinite ? String(format: "%.2f%%", $0.testAccuracy * 100) : "not a finite number") }
            ?? "Training: no epochs yet"
        var body = [SVG.text(title, x: width / 2, y: 30, anchor: "middle", attributes: "font-size=\"17\" font-weight=\"bold\"")]
        guard !epochs.isEmpty else { return SVG.document(width: width, height: height, title: title, body: body) }

        let x = epochs.map { Double($0.epoch) }
        let frame = (top: 80.0, bottom: height - 50, panelWidth: (width - 3 * 70) / 2)
        let losses = epochs.flatMap { [$0.trainLoss, $0.testLoss] }.filter(\.isFinite)
        body += panel(left: 70, frame: frame, title: "Loss (NLL)", x: x,
                      y: Axis(data: losses + [0]),
                      series: [("train", Palette.train, epochs.map(\.trainLoss)), ("test", Palette.test, epochs.map(\.testLoss))])
        let accuracy = epochs.map { $0.testAccuracy * 100 }
        body += panel(left: 140 + frame.panelWidth, frame: frame, title: "Test accuracy (%)", x: x,
                      y: Axis(data: accuracy.filter(\.isFinite), limit: 100),
                      series: [("test", Palette.accuracy, accuracy)])
        return SVG.document(width: width, height: height, title: title, body: body)
    }

    /// Colour-blind-safe (Okabe–Ito): blue and orange for the losses, bluish green for accuracy.
    private enum Palette {
        static let train = "#0072B2", test = "#E69F00", accuracy = "#009E73"
        static let axis = "#333333", grid = "#E5E5E5", label = "#555555"
    }

    /// One plot: frame, grid, ticks and labels, its curves, and where it has several a legend on the title
    /// line, where it can never hide a curve.
    private static func panel(left: Double, frame: (top: Double, bottom: Double, panelWidth: Double), title: String,
                              x: [Double], y: Axis, series: [(name: String, color: String, values: [Double])]) -> [String] {
        let right = left + frame.panelWidth
        let xAxis = Axis(data: x, integers: true)
        func px(_ value: Double) -> Double { left + xAxis.fraction(value) * frame.panelWidth }
        func py(_ value: Double) -> Double { frame.bottom - y.fraction(value) * (frame.bottom - frame.top) }

        var elements = [SVG.text(title, x: left, y: frame.top - 16, attributes: "font-size=\"14\" font-weight=\"bold\"")]
        var legendX = right
        for entry in series.reversed() where series.count > 1 {
            legendX -= 8 + 7 * Double(entry.name.count)
            elements.append(SVG.text(entry.name, x: legendX + 26, y: frame.top - 16))
            elements.append(SVG.line(legendX, frame.top - 20, legendX + 20, frame.top - 20, stroke: entry.color, width: 2.5))
            legendX -= 30
        }
        for tick in y.ticks {
            elements.append(SVG.line(left, py(tick), right, py(tick), stroke: Palette.grid))
            elements.append(SVG.text(Axis.label(tick), x: left - 8, y: py(tick) + 4, anchor: "end", attributes: "fill=\"\(Palette.label)\""))
        }
        for tick in xAxis.ticks {
            elements.append(SVG.line(px(tick), frame.bottom, px(tick), frame.bottom + 5, stroke: Palette.axis))
            elements.append(SVG.text(Axis.label(tick), x: px(tick), y: frame.bottom + 19, anchor: "middle", attributes: "fill=\"\(Palette.label)\""))
        }
        elements.append(SVG.text("epoch", x: (left + right) / 2, y: frame.bottom + 38, anchor: "middle"))
        elements.append("<path d=\"M\(SVG.number(left)) \(SVG.number(frame.top))V\(SVG.number(frame.bottom))H\(SVG.number(right))\" "
                        + "fill=\"none\" stroke=\"\(Palette.axis)\"/>")

        for entry in series {
            let points = zip(x, entry.values).map { ($0, $1) }
            // A NaN (a diverged epoch) breaks the curve instead of dragging it off the chart.
            var path = "", pen = "M"
            for (epoch, value) in points {
                guard value.isFinite else { pen = "M"; continue }
                path += "\(pen)\(SVG.number(px(epoch))) \(SVG.number(py(value)))"
                pen = "L"
            }
            elements.append("<path class=\"curve\" data-series=\"\(SVG.escape(entry.name))\" d=\"\(path)\" fill=\"none\" "
                            + "stroke=\"\(entry.color)\" stroke-width=\"2.5\" stroke-linejoin=\"round\"/>")
            // Markers show where the measurements are; past a few dozen epochs they would only clutter.
            if points.count <= 40 {
                for (epoch, value) in points where value.isFinite {
                    elements.append("<circle cx=\"\(SVG.number(px(epoch)))\" cy=\"\(SVG.number(py(value)))\" r=\"3.5\" "
                                    + "fill=\"white\" stroke=\"\(entry.color)\" stroke-width=\"2\"/>")
                }
            }
        }
        return elements
    }

    /// A linear axis over the data with round tick steps (1, 2 or 5 × 10ⁿ), about five ticks.
    ///
    /// Values near ±1e308 (a diverged run's history) must not overflow: spans are taken as differences of halves
    /// and fifths, the ends are kept finite, and ticks are counted rather than strided, since there
    /// `low + step` can round back to `low` or become infinite and a stride would never end.
    private struct Axis {
        let low: Double, high: Double, step: Double

        init(data: [Double], limit: Double = .infinity, integers: Bool = false) {
            var low = data.min() ?? 0, high = data.max() ?? 1
            if high / 2 - low / 2 < 1e-9 { (low, high) = (low - max(abs(low) * 0.1, 1), high + max(abs(high) * 0.1, 1)) }
            (low, high) = (max(low, -.greatestFiniteMagnitude), min(high, .greatestFiniteMagnitude))
            let rough = high / 5 - low / 5
            let magnitude = pow(10, (log10(rough)).rounded(.down))
            var step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? .greatestFiniteMagnitude
            if integers { step = max(1, step.rounded()) }
            func finite(_ value: Double) -> Double { min(max(value, -.greatestFiniteMagnitude), .greatestFiniteMagnitude) }
            self.low = finite((low / step).rounded(.down) * step)
            self.high = finite(min(max((high / step).rounded(.up) * step, self.low + step), max(limit, self.low + step)))
            self.step = step
        }

        static func label(_ tick: Double) -> String { String(format: "%g", tick) }

        /// Where `value` lies between the ends, 0 at `low` and 1 at `high`.
        func fraction(_ value: Double) -> Double { (value / 2 - low / 2) / (high / 2 - low / 2) }

        var ticks: [Double] {
            let intervals = high / step - low / step
            guard intervals.isFinite else { return [low, high] }
            return (0...Int(max(0, min(intervals + 1e-9, 20)).rounded(.down))).map { low + Double($0) * step }.filter(\.isFinite)
        }
    }
}
