import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import CLTrain

@Suite struct ReportMetricsTests {
    let sample = EpochMetrics(epoch: 2, trainLoss: 0.1, testLoss: 0.25, testAccuracy: 0.9731, seconds: 3.5, samplesPerSecond: 17142.5)

    @Test func jsonLineHasExactlyTheAgreedKeysInOrder() throws {
        let line = sample.jsonLine()
        #expect(line == #"{"epoch": 2, "train_loss": 0.1, "test_loss": 0.25, "test_accuracy": 0.9731, "seconds": 3.5, "samples_per_second": 17142.5}"#)
        let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["epoch", "train_loss", "test_loss", "test_accuracy", "seconds", "samples_per_second"])
        #expect(try JSONDecoder().decode(EpochMetrics.self, from: Data(line.utf8)) == sample)
    }

    /// A diverged run must still write valid JSON, and reading it back must say "not a number".
    @Test func nonFiniteNumbersBecomeNull() throws {
        var diverged = sample
        diverged.trainLoss = .nan
        diverged.testLoss = .infinity
        let line = diverged.jsonLine()
        #expect(line.contains(#""train_loss": null, "test_loss": null"#))
        let decoded = try JSONDecoder().decode(EpochMetrics.self, from: Data(line.utf8))
        #expect(decoded.trainLoss.isNaN && decoded.testLoss.isNaN && decoded.testAccuracy == sample.testAccuracy)
        let encoded = try JSONEncoder().encode(diverged)
        #expect(try JSONSerialization.jsonObject(with: encoded) is [String: Any])
    }
}

/// Collects every element with its attributes, and whether the document parsed.
final class SVGElements: NSObject, XMLParserDelegate {
    private(set) var elements: [(name: String, attributes: [String: String])] = []
    private(set) var texts: [String] = []
    private(set) var isValid = false

    init(_ svg: String) {
        super.init()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = self
        isValid = parser.parse()
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements.append((name, attributes))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if !string.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { texts.append(string) }
    }

    func named(_ name: String) -> [[String: String]] { elements.filter { $0.name == name }.map(\.attributes) }
}

@Suite struct ReportPlotTests {
    let epochs = (1...12).map { epoch in
        EpochMetrics(epoch: epoch, trainLoss: 1 / Double(epoch), testLoss: 1.2 / Double(epoch) + 0.05,
                     testAccuracy: 0.9 + Double(epoch) / 200, seconds: 2, samplesPerSecond: 30_000)
    }

    @Test func plotIsWellFormedWithBothLossCurvesAndAccuracy() throws {
        let svg = SVGElements(MetricsPlot.svg(epochs))
        #expect(svg.isValid)
        #expect(svg.elements.first?.name == "svg")
        let curves = svg.named("path").filter { $0["class"] == "curve" }
        #expect(curves.map { $0["data-series"] } == ["train", "test", "test"])
        // Each curve visits every epoch once: one move, then a line to each further point.
        for curve in curves { #expect(curve["d"]!.filter { $0 == "L" }.count == epochs.count - 1) }
        #expect(svg.texts.contains { $0.contains("Loss") } && svg.texts.contains { $0.contains("accuracy") })
        #expect(svg.texts.contains("epoch") && svg.texts.contains("train"))
        #expect(svg.texts.contains { $0.contains("12 epochs") })
    }

    @Test func divergedEpochBreaksTheCurve() throws {
        var broken = epochs
        broken[5].trainLoss = .nan
        let curves = SVGElements(MetricsPlot.svg(broken)).named("path").filter { $0["class"] == "curve" }
        #expect(curves[0]["d"]!.filter { $0 == "M" }.count == 2)
        #expect(!curves[0]["d"]!.lowercased().contains("nan"))
    }

    /// Issue 19: a history holding ±1e308 (a diverged run's, or a checkpoint's) made the axis stride forever.
    @Test(arguments: [(-1e308, 1e308), (1e308, 1e308), (-1e308, -1e308), (1e308, 1e308 * (1 + 1e-15)),
                      (-.greatestFiniteMagnitude, .greatestFiniteMagnitude), (1e-320, 0)])
    func extremeValuesStillMakeAValidPicture(_ train: Double, _ test: Double) {
        var extreme = epochs
        (extreme[3].trainLoss, extreme[3].testLoss, extreme[4].testAccuracy) = (train, test, test)
        let text = MetricsPlot.svg(extreme)
        #expect(SVGElements(text).isValid)
        #expect(!text.lowercased().contains("nan") && !text.lowercased().contains("inf"), "\(train), \(test)")
    }

    @Test(arguments: [0, 1])
    func fewEpochsStillMakeAValidPicture(count: Int) {
        let svg = SVGElements(MetricsPlot.svg(Array(epochs.prefix(count))))
        #expect(svg.isValid)
        #expect(!MetricsPlot.svg(Array(epochs.prefix(count))).lowercased().contains("nan"))
    }
}
