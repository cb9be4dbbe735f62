// The SVG loss chart of `charrnn train --plot`: well-formed XML, readable parts, honest numbers.

import Foundation
import Testing
@testable import Plots

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite("Loss plot (SVG)")
struct LossPlotTests {
    /// A training curve falling from about 6 bits, logged every 100 steps up to 10,000, and a
    /// validation curve every 1,000 steps whose lowest point is 2.31 at step 4,000.
    static let train = stride(from: 0, through: 10_000, by: 100).map {
        LossPoint(step: $0, bitsPerToken: 2 + 4 * exp(-Double($0) / 1_500))
    }
    static let validation = [6.1, 3.9, 2.9, 2.5, 2.31, 2.35, 2.4, 2.44, 2.5, 2.52, 2.6].enumerated().map {
        LossPoint(step: $0.offset * 1_000, bitsPerToken: $0.element)
    }

    @Test func typicalRunHasEveryPart() throws {
        let svg = lossPlotSVG(train: Self.train, validation: Self.validation, title: "tang, H=256")
        let root = try parse(svg)
        #expect(root.name == "svg")
        #expect(root.value(of: "width") == "800")
        #expect(root.value(of: "height") == "480")
        #expect(root.value(of: "font-family") == "sans-serif")

        let texts = descendants(of: root, named: "text").compactMap(\.stringValue)
        for expected in ["tang, H=256", "step", "bits per token", "train", "validation", "best 2.31 at step 4,000"] {
            #expect(texts.contains(expected), "missing text \(expected): \(texts)")
        }

        let lines = polylines(in: root)
        #expect(lines.count == 2)
        #expect(lines["train"]?.count == Self.train.count)
        #expect(lines["validation"]?.count == Self.validation.count)
        #expect(group("validation-points", in: root).map { descendants(of: $0, named: "circle").count }
                == Self.validation.count)
        #expect(svg.contains("stroke=\"#1f77b4\"") && svg.contains("stroke=\"#ff7f0e\""), "two colours")
    }

    @Test func ticksAreNiceAndPointsSitOnThem() throws {
        let root = try parse(lossPlotSVG(train: Self.train, validation: Self.validation, title: "t"))
        for (name, low, high) in [("x-tick-labels", 0.0, 10_000.0), ("y-tick-labels", 2.0, 6.1)] {
            let labels = try #require(group(name, in: root)).children?.compactMap { $0.stringValue } ?? []
            let values = labels.compactMap { Double($0.replacingOccurrences(of: ",", with: "")) }
            #expect(values.count == labels.count && values.count >= 3, "\(name): \(labels)")
            let spacings = zip(values.dropFirst(), values).map { $0 - $1 }
            let spacing = try #require(spacings.first)
            #expect(spacings.allSatisfy { abs($0 - spacing) < 1e-9 * spacing }, "\(name): even spacing \(labels)")
            let mantissa = spacing / pow(10, log10(spacing).rounded(.down))
            #expect([1.0, 2, 5].contains { abs(mantissa - $0) < 1e-9 }, "\(name): spacing \(spacing) is 1, 2 or 5 × 10^k")
            #expect(values.first! <= low && values.last! >= high, "\(name): ticks \(labels) cover \(low)…\(high)")
            #expect(values.count <= 12, "\(name): not too many ticks")
        }
        // Tick k of x ("4,000") is drawn at the same x as the validation point at step 4,000.
        let xTick = try #require(group("x-tick-labels", in: root)?.children?.compactMap { $0 as? XMLElement }
            .first { $0.stringValue == "4,000" })
        let tickX = try #require(Double(xTick.value(of: "x") ?? ""))
        let validation = try #require(polylines(in: root)["validation"])
        #expect(abs(validation[4].x - tickX) < 0.11)
        // The ring marks the lowest validation point, which is the lowest on screen (largest y).
        let best = try #require(descendants(of: root, named: "circle").first { $0.value(of: "class") == "best" })
        let bestY = try #require(Double(best.value(of: "cy") ?? ""))
        #expect(abs(bestY - validation.map(\.y).max()!) < 1e-9)
    }

    @Test func nonFiniteLossesAreSkipped() throws {
        var train = Self.train
        train[3].bitsPerToken = .nan
        train[7].bitsPerToken = .infinity
        train[9].bitsPerToken = -.infinity
        var validation = Self.validation
        validation[1].bitsPerToken = .nan
        let svg = lossPlotSVG(train: train, validation: validation, title: "diverged")
        #expect(!svg.lowercased().contains("nan") && !svg.lowercased().contains("inf"))
        let root = try parse(svg)
        let lines = polylines(in: root)
        #expect(lines["train"]?.count == train.count - 3)
        #expect(lines["validation"]?.count == validation.count - 1)
        try expectFiniteGeometry(root)
    }

    /// Odd inputs that still give a valid, finite chart.
    static let edgeCases: [(name: String, train: [LossPoint], validation: [LossPoint])] = [
        ("nothing at all", [], []),
        ("no validation", train, []),
        ("no training", [], validation),
        ("one point each", [LossPoint(step: 0, bitsPerToken: 4.2)], [LossPoint(step: 0, bitsPerToken: 4.3)]),
        ("one point at a late step", [LossPoint(step: 123_456, bitsPerToken: 1.7)], []),
        ("all equal", (1...20).map { LossPoint(step: $0 * 50, bitsPerToken: 2.5) },
         (1...4).map { LossPoint(step: $0 * 250, bitsPerToken: 2.5) }),
        ("all zero", (0..<5).map { LossPoint(step: $0, bitsPerToken: 0) }, []),
        ("steps from 5,000", (50...90).map { LossPoint(step: $0 * 100, bitsPerToken: 3 - Double($0) / 100) },
         [LossPoint(step: 6_000, bitsPerToken: 2.6), LossPoint(step: 9_000, bitsPerToken: 2.3)]),
        ("only non-finite", [LossPoint(step: 1, bitsPerToken: .nan)], [LossPoint(step: 1, bitsPerToken: .infinity)]),
        ("out of order", [LossPoint(step: 30, bitsPerToken: 1), LossPoint(step: 10, bitsPerToken: 3),
                          LossPoint(step: 20, bitsPerToken: 2)], []),
    ]

    @Test(arguments: edgeCases.indices)
    func edgeCaseGivesAValidChart(index: Int) throws {
        let (name, train, validation) = Self.edgeCases[index]
        let svg = lossPlotSVG(train: train, validation: validation, title: name)
        #expect(!svg.lowercased().contains("nan") && !svg.lowercased().contains("inf"), "\(name)")
        let root = try parse(svg)
        try expectFiniteGeometry(root)
        let lines = polylines(in: root)
        let finiteTrain = train.filter { $0.bitsPerToken.isFinite }, finiteValidation = validation.filter { $0.bitsPerToken.isFinite }
        #expect(lines["train"]?.count == (finiteTrain.isEmpty ? nil : finiteTrain.count), "\(name)")
        #expect(lines["validation"]?.count == (finiteValidation.isEmpty ? nil : finiteValidation.count), "\(name)")
        let texts = descendants(of: root, named: "text").compactMap(\.stringValue)
        #expect(texts.contains("step") && texts.contains("bits per token"), "\(name)")
        #expect(texts.contains("train") == !finiteTrain.isEmpty, "\(name): legend")
        #expect(texts.contains("validation") == !finiteValidation.isEmpty, "\(name): legend")
        #expect(texts.contains { $0.hasPrefix("best ") } == !finiteValidation.isEmpty, "\(name): best point")
        // Drawn in step order, whatever order the points came in.
        if let trainPoints = lines["train"] {
            #expect(zip(trainPoints, trainPoints.dropFirst()).allSatisfy { $0.x <= $1.x }, "\(name)")
        }
        // Ticks never go below zero for losses and steps that do not.
        for groupName in ["x-tick-labels", "y-tick-labels"] {
            let values = group(groupName, in: root)?.children?.compactMap {
                Double(($0.stringValue ?? "").replacingOccurrences(of: ",", with: ""))
            } ?? []
            #expect(values.count >= 2 && values.allSatisfy { $0 >= 0 }, "\(name): \(groupName) \(values)")
        }
    }

    @Test func titleIsEscaped() throws {
        let title = "Tang <5 & 7> \"quatrains\" 'RNN' 春\u{1}"
        let svg = lossPlotSVG(train: Self.train, validation: [], title: title)
        #expect(svg.contains("Tang &lt;5 &amp; 7&gt; &quot;quatrains&quot; &apos;RNN&apos; 春"))
        #expect(!svg.contains("<5 & 7>"))
        let root = try parse(svg)
        let texts = descendants(of: root, named: "text").compactMap(\.stringValue)
        #expect(texts.contains("Tang <5 & 7> \"quatrains\" 'RNN' 春"), "control character dropped, the rest kept")
        #expect(descendants(of: root, named: "title").first?.stringValue == "Tang <5 & 7> \"quatrains\" 'RNN' 春")
    }

    @Test func bestLabelUsesTheFirstOfEqualLows() throws {
        let validation = [3.0, 2.0, 2.0, 2.5].enumerated().map { LossPoint(step: 1_000 + $0.offset * 500, bitsPerToken: $0.element) }
        let svg = lossPlotSVG(train: [], validation: validation, title: "plateau")
        #expect(svg.contains(">best 2.00 at step 1,500<"))
    }
}

// MARK: - Reading the SVG back

private struct Point { var x: Double; var y: Double }

extension XMLElement {
    /// The value of the attribute with this name. (`attribute(forName:)` misses attributes of
    /// elements in a default namespace in swift-corelibs-foundation, so search the list.)
    fileprivate func value(of name: String) -> String? {
        attributes?.first { ($0.localName ?? $0.name) == name }?.stringValue
    }
}

/// The document's root element; fails the test if the text is not well-formed XML.
private func parse(_ svg: String) throws -> XMLElement {
    let document = try XMLDocument(xmlString: svg, options: [])
    return try #require(document.rootElement())
}

/// Every element below `element` (at any depth) with the given local name (`*`: any name).
private func descendants(of element: XMLElement, named name: String) -> [XMLElement] {
    var found: [XMLElement] = []
    for case let child as XMLElement in element.children ?? [] {
        if name == "*" || (child.localName ?? child.name) == name { found.append(child) }
        found += descendants(of: child, named: name)
    }
    return found
}

/// The `<g>` element with the given class.
private func group(_ className: String, in root: XMLElement) -> XMLElement? {
    descendants(of: root, named: "g").first { $0.value(of: "class") == className }
}

/// The polylines by class ("train", "validation"), as lists of points.
private func polylines(in root: XMLElement) -> [String: [Point]] {
    var result: [String: [Point]] = [:]
    for line in descendants(of: root, named: "polyline") {
        let name = line.value(of: "class") ?? ""
        let pairs = (line.value(of: "points") ?? "").split(separator: " ")
        result[name] = pairs.map {
            let xy = $0.split(separator: ",").map { Double($0) ?? .nan }
            return Point(x: xy.first ?? .nan, y: xy.count == 2 ? xy[1] : .nan)
        }
    }
    return result
}

/// Every coordinate and size in the document is a finite number on the 800 × 480 canvas.
private func expectFiniteGeometry(_ root: XMLElement) throws {
    let numeric: Set<String> = ["x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "width", "height"]
    for element in [root] + descendants(of: root, named: "*") {
        for attribute in element.attributes ?? [] where numeric.contains(attribute.name ?? "") {
            let value = try #require(Double(attribute.stringValue ?? ""), "\(attribute)")
            #expect(value.isFinite && value >= 0 && value <= 800, "\(attribute)")
        }
    }
    for (name, points) in polylines(in: root) {
        for point in points {
            #expect(point.x >= 72 - 0.05 && point.x <= 764 + 0.05 && point.y >= 44 - 0.05 && point.y <= 420 + 0.05,
                    "\(name) point \(point) outside the plotting area")
        }
    }
}
