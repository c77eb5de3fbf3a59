import Foundation
import Testing
@testable import CLTrain

/// An image and an answer to draw, shared by the view and PGM tests.
enum DigitFixture {
    /// A seven-like stroke: a bar across the top and a diagonal down, with softer edge pixels as in MNIST.
    static let seven: [UInt8] = (0..<(28 * 28)).map { index in
        let (row, column) = (index / 28, index % 28)
        if row >= 4 && row <= 5 && column >= 6 && column <= 21 { return 255 }
        if row > 5 && row < 24 && abs(column - (21 - (row - 5) / 2)) <= 1 { return column == 21 - (row - 5) / 2 ? 255 : 120 }
        return 0
    }
    static let probabilities: [Float] = [0.001, 0.002, 0.01, 0.03, 0.0005, 0.002, 0.0001, 0.93, 0.004, 0.0204]
    static let names = (0...9).map(String.init)
}

@Suite struct ReportDigitViewTests {
    @Test func terminalShowsTheDigitBesideTenBarsAndMarksTheBest() {
        let lines = DigitView.terminal(pixels: DigitFixture.seven, probabilities: DigitFixture.probabilities, classNames: DigitFixture.names)
            .split(separator: "\n").map(String.init)
        #expect(lines.count == 14)
        let bars = lines.filter { $0.contains("%") }
        #expect(bars.count == 10)
        #expect(bars.filter { $0.contains("◀") }.count == 1)
        #expect(bars.first { $0.contains("◀") }!.contains("7 [") && bars.first { $0.contains("◀") }!.contains("93.0%"))
        // The picture: 28 columns between the frame lines, ink on the rows where the seven's top bar is.
        #expect(lines.allSatisfy { $0.split(separator: "│", omittingEmptySubsequences: false)[1].count == 28 })
        #expect(lines[2].contains("████████████████"))
    }

    @Test func svgHasTheImageAndABarPerClass() {
        let svg = SVGElements(DigitView.svg(pixels: DigitFixture.seven, probabilities: DigitFixture.probabilities, classNames: DigitFixture.names))
        #expect(svg.isValid)
        let rects = svg.named("rect")
        // White page, black image background, one square per inked pixel, one bar per class.
        #expect(rects.count == 2 + DigitFixture.seven.filter { $0 > 0 }.count + 10)
        #expect(rects.contains { $0["fill"] == "rgb(120,120,120)" })
        #expect(DigitFixture.names.allSatisfy(svg.texts.contains) && svg.texts.contains("93.0%"))
    }

    /// With 24-bit colour each character is "▀" in the upper pixel's colour on the lower one's; without it, the
    /// mean of the planes in two levels, as a grey image.
    @Test func terminalDrawsAColourImageInColourWhenAsked() {
        let (red, green, blue): ([UInt8], [UInt8], [UInt8]) = ([200, 0, 250, 9], [10, 0, 250, 9], [30, 40, 250, 9])
        let pixels = red + green + blue
        let colour = DigitView.terminal(pixels: pixels, width: 2, channels: 3, trueColour: true, probabilities: [0.3, 0.7],
                                        classNames: ["cat", "dog"])
        #expect(colour.hasPrefix("│\u{1B}[38;2;200;10;30m\u{1B}[48;2;250;250;250m▀\u{1B}[38;2;0;0;40m\u{1B}[48;2;9;9;9m▀\u{1B}[0m│"), "\(colour)")
        let plain = DigitView.terminal(pixels: pixels, width: 2, channels: 3, probabilities: [0.3, 0.7], classNames: ["cat", "dog"])
        #expect(plain == DigitView.terminal(pixels: DigitView.grey(pixels, channels: 3), width: 2, probabilities: [0.3, 0.7],
                                            classNames: ["cat", "dog"]) && plain.hasPrefix("│▄ │"), "\(plain)")
    }

    /// Three planes draw one square per pixel in its colour: red, green and blue from the planes, not the mean.
    @Test func svgDrawsAColourImageInColour() {
        let (red, green, blue): ([UInt8], [UInt8], [UInt8]) = ([200, 0, 0, 9], [10, 0, 0, 9], [30, 0, 40, 9])
        let svg = SVGElements(DigitView.svg(pixels: red + green + blue, width: 2, channels: 3, probabilities: [0.3, 0.7],
                                            classNames: ["cat", "dog"]))
        let fills = svg.named("rect").compactMap { $0["fill"] }
        #expect(svg.isValid && fills.contains("rgb(200,10,30)") && fills.contains("rgb(0,0,40)") && fills.contains("rgb(9,9,9)"))
        // White page, black background, three inked pixels (the black one is the background), two bars.
        #expect(fills.count == 2 + 3 + 2, "\(fills)")
    }
}

@Suite struct ReportPGMTests {
    func write(_ bytes: [UInt8], _ scratch: TemporaryFolder) throws -> String {
        let path = scratch.file("digit.pgm")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func p5(_ pixels: [UInt8], header: String = "P5\n# drawn by hand\n28 28\n255\n") -> [UInt8] { Array(header.utf8) + pixels }

    @Test func binaryRoundTrip() throws {
        let scratch = try TemporaryFolder()
        // Pixel 0 is 10, a newline byte: it must be read as a pixel, not as header whitespace.
        var pixels = DigitFixture.seven
        pixels[0] = 10
        #expect(try PGM.read(path: write(p5(pixels), scratch)).pixels == pixels)
    }

    @Test func asciiRoundTripScalesMaxval() throws {
        let scratch = try TemporaryFolder()
        let levels = DigitFixture.seven.map { $0 / 17 }  // 0...15
        let rows = stride(from: 0, to: 784, by: 28).map { levels[$0..<($0 + 28)].map(String.init).joined(separator: " ") }
        let text = "P2\n# maxval 15\n28 28 15\n" + rows.joined(separator: "\n") + "\n"
        #expect(try PGM.read(path: write(Array(text.utf8), scratch)).pixels == levels.map { $0 * 17 })
    }

    func expectRefusal(_ bytes: [UInt8], _ expected: (String) -> PGMError) throws {
        let scratch = try TemporaryFolder()
        let path = try write(bytes, scratch)
        #expect(throws: expected(path)) { try PGM.read(path: path) }
        #expect(expected(path).description.hasPrefix(path) && !expected(path).description.contains("\n"))
    }

    @Test func missingFile() throws {
        let scratch = try TemporaryFolder()
        let path = scratch.file("none.pgm")
        #expect(throws: PGMError.unreadable(path: path, reason: "No such file or directory")) { try PGM.read(path: path) }
    }

    @Test func refusals() throws {
        try expectRefusal(Array("P6\n28 28\n255\n".utf8)) { .notPGM(path: $0, magic: "P6") }
        try expectRefusal(Array("P5\n28\n".utf8)) { .malformedHeader(path: $0, field: "height") }
        try expectRefusal(Array("P5 28 28 x".utf8)) { .malformedHeader(path: $0, field: "maxval") }
        try expectRefusal(p5([], header: "P5 0 28 255\n")) { .wrongSize(path: $0, width: 0, height: 28) }
        try expectRefusal(p5([], header: "P5 9000 28 255\n")) { .wrongSize(path: $0, width: 9000, height: 28) }
        try expectRefusal(p5([], header: "P5 28 28 65535\n")) { .unsupportedMaxval(path: $0, maxval: 65535) }
        try expectRefusal(p5(Array(DigitFixture.seven.prefix(500)))) { .truncated(path: $0, pixels: 500, of: 784) }
        try expectRefusal(Array("P2 28 28 255\n1 2 3".utf8)) { .truncated(path: $0, pixels: 3, of: 784) }
        try expectRefusal(Array("P2 28 28 255\n1 2 x 3".utf8)) { .badSample(path: $0, index: 2) }
        try expectRefusal(p5(DigitFixture.seven, header: "P5 28 28 100\n")) { .sampleAboveMaxval(path: $0, index: 118, value: 255, maxval: 100) }
    }

    @Test func wrongSizeMessageSaysTheSizeFound() {
        #expect(PGMError.wrongSize(path: "a.pgm", width: 32, height: 0).description.contains("32×0"))
    }

    @Test func anySizeIsRead() throws {
        let scratch = try TemporaryFolder()
        let picture = try PGM.read(path: write(p5([1, 2, 3, 4, 5, 6], header: "P5 3 2 255\n"), scratch))
        #expect(picture == Picture(width: 3, height: 2, pixels: [1, 2, 3, 4, 5, 6]))
    }
}
