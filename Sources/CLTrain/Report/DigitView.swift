import Foundation

/// One image and the model's class probabilities side by side, as the lesson's `view_classify` shows them.
///
/// Pixels are drawn as given: a high value is ink. MNIST is a white digit on black, so its images look
/// right; a black-on-white drawing shows inverted, which is also how the model sees it.
public enum DigitView {
    /// One grey plane to draw from an image of `channels` planes: the mean of its planes (a grey image as it is).
    public static func grey(_ pixels: [UInt8], channels: Int) -> [UInt8] {
        let plane = pixels.count / max(channels, 1)
        return channels <= 1 ? pixels : (0..<plane).map { i in
            UInt8((0..<channels).reduce(0) { $0 + Int(pixels[$1 * plane + i]) } / channels)
        }
    }

    /// The image in half-blocks (each character is two pixel rows, so 28 × 14 characters keep the digit's
    /// proportions) beside one bar per class; the most probable class is marked with ◀.
    /// - Parameters:
    ///   - pixels: `channels` planes (1 grey, 3 red, green, blue) of an image `width` pixels wide, row-major.
    ///   - trueColour: draw a colour image in its colours with 24-bit escape codes (for a terminal that has them);
    ///     otherwise the mean of its planes is drawn in two levels.
    ///   - probabilities: one per class, e.g. `exp` of the model's log-softmax output.
    ///   - classNames: one per class, e.g. "0" … "9".
    public static func terminal(pixels: [UInt8], width: Int = 28, channels: Int = 1, trueColour: Bool = false,
                                probabilities: [Float], classNames: [String]) -> String {
        check(pixels, width * channels, probabilities, classNames)
        let plane = pixels.count / channels, height = plane / width, levels = grey(pixels, channels: channels)
        // Two levels per half-block; 96 keeps MNIST's anti-aliased edges, which start faint, from vanishing.
        func ink(_ row: Int, _ column: Int) -> Bool { row < height && levels[row * width + column] >= 96 }
        // "▀" in the upper pixel's colour on the lower one's (black below the last row).
        func colour(_ row: Int, _ column: Int) -> String {
            (0..<3).map { c in row < height ? String(pixels[c * plane + row * width + column]) : "0" }.joined(separator: ";")
        }
        let image = (0..<((height + 1) / 2)).map { line in
            trueColour && channels == 3
                ? (0..<width).map { "\u{1B}[38;2;\(colour(2 * line, $0))m\u{1B}[48;2;\(colour(2 * line + 1, $0))m▀" }.joined() + "\u{1B}[0m"
                : String((0..<width).map { column in
                    switch (ink(2 * line, column), ink(2 * line + 1, column)) {
                    case (true, true): return "█"
                    case (true, false): return "▀"
                    case (false, true): return "▄"
                    case (false, false): return " "
                    }
                })
        }
        let best = mostProbable(probabilities)
        let labelWidth = classNames.map(\.count).max() ?? 0
        let bars = probabilities.indices.map { index in
            let name = String(repeating: " ", count: labelWidth - classNames[index].count) + classNames[index]
            let percent = String(format: "%5.1f%%", Double(probabilities[index]) * 100)
            return "\(name) " + TextBar.draw(Double(probabilities[index]).clamped) + " \(percent)" + (index == best ? " ◀" : "")
        }
        // The bars sit in the middle of the picture's height, like matplotlib's centred bar chart.
        let top = max((image.count - bars.count) / 2, 0)
        let blank = String(repeating: " ", count: width)
        return (0..<max(image.count, top + bars.count)).map { line in
            let picture = line < image.count ? image[line] : blank
            let bar = (top..<(top + bars.count)).contains(line) ? "   " + bars[line - top] : ""
            return "│" + picture + "│" + bar
        }.joined(separator: "\n") + "\n"
    }

    /// The same picture as SVG: the image as grey (or, with three channels, coloured) squares on the left, a
    /// horizontal bar chart of the class probabilities on the right.
    /// - Parameters:
    ///   - pixels: `channels` planes (1 grey, 3 red, green, blue) of an image `width` pixels wide, row-major.
    ///   - label: the true class where known; a wrong prediction is then drawn in red and named.
    public static func svg(pixels: [UInt8], width: Int = 28, channels: Int = 1, probabilities: [Float], classNames: [String],
                           label: Int? = nil) -> String {
        check(pixels, width * channels, probabilities, classNames)
        let plane = pixels.count / channels
        // The image fills a 280-unit square's width whatever its size, as a 28-pixel digit at 10 units a pixel.
        let cell = 280.0 / Double(width), margin = 20.0, top = 50.0
        let image = Double(plane / width) * cell
        let chartLeft = margin + 280 + 70, chartWidth = 260.0
        let rowHeight = image / Double(classNames.count)
        let best = mostProbable(probabilities)
        let wrong = label.map { $0 != best } ?? false
        var body = [
            SVG.text("Image", x: margin + 140, y: top - 14, anchor: "middle", attributes: "font-size=\"14\" font-weight=\"bold\""),
            SVG.text("Class probability", x: chartLeft + chartWidth / 2, y: top - 14, anchor: "middle",
                     attributes: "font-size=\"14\" font-weight=\"bold\""),
            // Black first, then only the pixels with ink: MNIST is mostly background.
            SVG.rect(x: margin, y: top, width: 280, height: image, fill: "black"),
            "<g shape-rendering=\"crispEdges\">",
        ]
        for index in 0..<plane {
            let (red, green, blue) = channels == 3 ? (pixels[index], pixels[plane + index], pixels[2 * plane + index])
                : (pixels[index], pixels[index], pixels[index])
            guard red > 0 || green > 0 || blue > 0 else { continue }
            body.append(SVG.rect(x: margin + Double(index % width) * cell, y: top + Double(index / width) * cell,
                                 width: cell, height: cell, fill: "rgb(\(red),\(green),\(blue))"))
        }
        body.append("</g>")
        for tick in stride(from: 0.0, through: 1.0, by: 0.25) {
            let x = chartLeft + tick * chartWidth
            body.append(SVG.line(x, top, x, top + image, stroke: "#E5E5E5"))
            body.append(SVG.text(String(format: "%g", tick), x: x, y: top + image + 18, anchor: "middle", attributes: "fill=\"#555555\""))
        }
        for (index, name) in classNames.enumerated() {
            let y = top + Double(index) * rowHeight
            let probability = Double(probabilities[index]).clamped
            let color = index == best ? (wrong ? "#D55E00" : "#0072B2") : "#8FB8D8"
            body.append(SVG.rect(x: chartLeft, y: y + rowHeight * 0.15, width: probability * chartWidth, height: rowHeight * 0.7, fill: color))
            body.append(SVG.text(index == label ? "\(name) (true)" : name, x: chartLeft - 8, y: y + rowHeight / 2 + 4,
                                 anchor: "end", attributes: index == best ? "font-weight=\"bold\"" : ""))
            body.append(SVG.text(String(format: "%.1f%%", probability * 100), x: chartLeft + probability * chartWidth + 5,
                                 y: y + rowHeight / 2 + 4, attributes: "fill=\"#555555\""))
        }
        body.append("<path d=\"M\(SVG.number(chartLeft)) \(SVG.number(top))V\(SVG.number(top + image))H\(SVG.number(chartLeft + chartWidth))\" "
                    + "fill=\"none\" stroke=\"#333333\"/>")
        var title = "Prediction: \(classNames[best])"
        if let label { title += wrong ? ", wrong: labelled \(classNames[label])" : ", correct" }
        if wrong {
            body.append(SVG.text("✗ wrong: labelled \(classNames[label!])", x: margin, y: top + image + 30,
                                 attributes: "fill=\"#D55E00\" font-weight=\"bold\""))
        }
        return SVG.document(width: chartLeft + chartWidth + 60, height: top + image + 36,
                            title: title, body: body)
    }

    private static func check(_ pixels: [UInt8], _ width: Int, _ probabilities: [Float], _ classNames: [String]) {
        precondition(width > 0 && !pixels.isEmpty && pixels.count % width == 0, "\(pixels.count) pixels do not make rows of \(width)")
        precondition(probabilities.count == classNames.count && !classNames.isEmpty, "one probability per class name")
    }

    private static func mostProbable(_ probabilities: [Float]) -> Int {
        probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
    }
}

private extension Double {
    /// Probabilities from a float softmax can stray a hair outside 0...1, or be NaN from a diverged model.
    var clamped: Double { isNaN ? 0 : Swift.min(Swift.max(self, 0), 1) }
}
