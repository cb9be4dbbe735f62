// Confusion matrices: the SVG heat map is well-formed and carries the right shares; the text
// table matches tables written out by hand, wide characters included.

import Foundation
import Testing
@testable import Plots

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite("Confusion matrix (SVG and text)")
struct ConfusionPlotTests {
    /// Three categories: Arabic 90/5/5 of 100, Chinese 0/40/10 of 50 (shares 0, 0.8, 0.2),
    /// Czech 3/0/97 of 100.
    static let categories = ["Arabic", "Chinese", "Czech"]
    static let confusion = [[90, 5, 5], [0, 40, 10], [3, 0, 97]]

    /// The 18 languages of the classic surname data set.
    static let languages = ["Arabic", "Chinese", "Czech", "Dutch", "English", "French", "German", "Greek", "Irish",
                            "Italian", "Japanese", "Korean", "Polish", "Portuguese", "Russian", "Scottish", "Spanish",
                            "Vietnamese"]

    /// Shares read back from data-share are written with 6 decimals.
    static let shareTolerance = 1e-5

    // MARK: - SVG

    @Test func svgHasEveryPart() throws {
        let svg = confusionMatrixSVG(categories: Self.categories, confusion: Self.confusion, title: "names, H=128")
        let root = try parseSVG(svg)
        #expect(root.name == "svg")
        #expect(attribute("font-family", of: root) == "sans-serif")
        let width = try #require(Double(attribute("width", of: root) ?? ""))
        let height = try #require(Double(attribute("height", of: root) ?? ""))
        #expect(width >= 240 && width <= 1_000 && height >= 160 && height <= 1_000, "\(width) × \(height)")

        let texts = elements(in: root, named: "text").compactMap(\.stringValue)
        for expected in ["names, H=128", "true category", "predicted category", "n = 100", "n = 50"] {
            #expect(texts.contains(expected), "missing text \(expected): \(texts)")
        }
        // Each name once down the side and once along the bottom.
        for name in Self.categories {
            #expect(groupTexts("row-labels", in: root).filter { $0 == name }.count == 1, "\(name)")
            #expect(groupTexts("column-labels", in: root).filter { $0 == name }.count == 1, "\(name)")
        }
        #expect(groupTexts("row-totals", in: root) == ["n = 100", "n = 50", "n = 100"])
        // Column names are rotated.
        let columnLabels = try #require(group("column-labels", in: root)).children?.compactMap { $0 as? XMLElement } ?? []
        #expect(columnLabels.allSatisfy { (attribute("transform", of: $0) ?? "").hasPrefix("rotate(-90") })
    }

    @Test func oneCellPerPairWithTheRowShares() throws {
        let root = try parseSVG(confusionMatrixSVG(categories: Self.categories, confusion: Self.confusion, title: "t"))
        let grid = try cells(in: root)
        #expect(grid.count == 9)
        #expect(Set(grid.map { "\($0.row),\($0.column)" }).count == 9, "each pair once")
        let expected: [[Double]] = [[0.9, 0.05, 0.05], [0, 0.8, 0.2], [0.03, 0, 0.97]]
        for cell in grid {
            #expect(abs(cell.share - expected[cell.row][cell.column]) < Self.shareTolerance, "\(cell)")
            #expect(cell.count == Self.confusion[cell.row][cell.column], "\(cell)")
        }
        for row in 0..<3 {
            let sum = grid.filter { $0.row == row }.map(\.share).reduce(0, +)
            #expect(abs(sum - 1) < 3 * Self.shareTolerance, "row \(row) sums to \(sum)")
        }
        // Labels: whole percentages of cells of 1% or more, never of empty cells; they add up
        // to 100 per row here because every share is a whole percentage.
        #expect(groupTexts("cell-labels", in: root).sorted() == ["20%", "3%", "5%", "5%", "80%", "90%", "97%"].sorted())
        // Darker for a larger share; the near-white end for 0.
        let fills = Dictionary(uniqueKeysWithValues: grid.map { ("\($0.row),\($0.column)", $0.fill) })
        #expect(try brightness(fills["0,0"]!) < brightness(fills["0,1"]!))
        #expect(try brightness(fills["0,1"]!) < brightness(fills["1,0"]!))
        #expect(fills["1,0"] == "#f7fbff" && fills["2,2"] != fills["0,0"])
    }

    @Test func labelledPercentagesAddUpForAnUnevenRow() throws {
        // 1/3 each: the labels 33% + 33% + 33% are within rounding of 100.
        let root = try parseSVG(confusionMatrixSVG(categories: ["a", "b", "c"],
                                                   confusion: [[1, 1, 1], [0, 7, 0], [2, 0, 5]], title: "t"))
        let grid = try cells(in: root)
        for row in 0..<3 {
            let sum = grid.filter { $0.row == row }.map(\.share).reduce(0, +)
            #expect(abs(sum - 1) < 3 * Self.shareTolerance, "row \(row) sums to \(sum)")
        }
        let percentages = groupTexts("cell-labels", in: root).compactMap { Int($0.dropLast()) }
        #expect(percentages.sorted() == [29, 33, 33, 33, 71, 100])
    }

    @Test func emptyRowIsBlank() throws {
        let svg = confusionMatrixSVG(categories: ["a", "b", "c"], confusion: [[4, 1, 0], [0, 0, 0], [0, 2, 2]],
                                     title: "no names for b")
        #expect(!svg.lowercased().contains("nan") && !svg.lowercased().contains("inf"))
        let root = try parseSVG(svg)
        let grid = try cells(in: root)
        #expect(grid.count == 9)
        for cell in grid where cell.row == 1 {
            #expect(cell.share == 0 && cell.count == 0 && cell.fill == "#f7fbff", "\(cell)")
        }
        #expect(groupTexts("cell-labels", in: root).sorted() == ["20%", "50%", "50%", "80%"])
        #expect(groupTexts("row-totals", in: root) == ["n = 5", "n = 0", "n = 4"])
        try expectFiniteGeometry(root)
    }

    @Test func oneByOne() throws {
        let root = try parseSVG(confusionMatrixSVG(categories: ["only"], confusion: [[7]], title: "one"))
        let grid = try cells(in: root)
        #expect(grid.count == 1)
        #expect(grid.first?.share == 1 && grid.first?.count == 7)
        #expect(groupTexts("cell-labels", in: root) == ["100%"])
        #expect(groupTexts("row-totals", in: root) == ["n = 7"])
        #expect(groupTexts("row-labels", in: root) == ["only"] && groupTexts("column-labels", in: root) == ["only"])
        try expectFiniteGeometry(root)
    }

    @Test func noCategories() throws {
        let root = try parseSVG(confusionMatrixSVG(categories: [], confusion: [], title: "nothing"))
        #expect(try cells(in: root).isEmpty)
        let texts = elements(in: root, named: "text").compactMap(\.stringValue)
        #expect(texts.contains("nothing") && texts.contains("no categories"))
        try expectFiniteGeometry(root)
    }

    @Test func raggedMatrixIsSquaredUp() throws {
        // Row 0 is short, row 1 has an extra column and -3 (counted as 0), row 2 is beyond the categories.
        let root = try parseSVG(confusionMatrixSVG(categories: ["a", "b"], confusion: [[2], [-3, 1, 5], [8]], title: "t"))
        let grid = try cells(in: root)
        #expect(grid.count == 4)
        let counts = grid.sorted { ($0.row, $0.column) < ($1.row, $1.column) }.map(\.count)
        #expect(counts == [2, 0, 0, 1])
        #expect(groupTexts("row-totals", in: root) == ["n = 2", "n = 1"])
    }

    @Test func namesAndTitleAreEscaped() throws {
        let names = ["<b>", "a&b", "x>y \"q\" 'r'", "中文"]
        let svg = confusionMatrixSVG(categories: names, confusion: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
                                     title: "R&D <test>")
        #expect(svg.contains("&lt;b&gt;") && svg.contains("a&amp;b") && svg.contains("R&amp;D &lt;test&gt;"))
        #expect(!svg.contains("<b>") && !svg.contains("a&b") && !svg.contains("<test>"))
        let root = try parseSVG(svg)
        #expect(groupTexts("row-labels", in: root) == names)
        #expect(groupTexts("column-labels", in: root) == names)
        #expect(elements(in: root, named: "text").contains { $0.stringValue == "R&D <test>" })
        // The tooltips name both categories.
        let tooltips = elements(in: root, named: "title").compactMap(\.stringValue)
        #expect(tooltips.contains("<b> → a&b: 0 of 1 (0.0%)"), "\(tooltips)")
    }

    @Test func sizeFollowsTheCategoriesWithinLimits() throws {
        for k in [1, 5, 18, 40, 100] {
            let names = (0..<k).map { k == 18 ? Self.languages[$0] : "category \($0)" }
            let confusion = (0..<k).map { row in (0..<k).map { row == $0 ? 10 : ($0 + row) % 3 } }
            let root = try parseSVG(confusionMatrixSVG(categories: names, confusion: confusion, title: "k = \(k)"))
            #expect(try cells(in: root).count == k * k)
            let width = try #require(Double(attribute("width", of: root) ?? ""))
            let height = try #require(Double(attribute("height", of: root) ?? ""))
            #expect(width <= 1_000 && height <= 1_000, "k = \(k): \(width) × \(height)")
            if k == 18 { #expect(width >= 600, "an 18-category chart is about 800 wide: \(width)") }
            try expectFiniteGeometry(root)
        }
    }

    // MARK: - Text

    @Test func textTableMatchesAHandWrittenOne() {
        let expected = """
            true\\pred  Ara Chi Cze  recall
            Arabic      90   5   5   90.0%
            Chinese      .  80  20   80.0%
            Czech        3   .  97   97.0%
            """
        #expect(confusionMatrixText(categories: Self.categories, confusion: Self.confusion) == expected)
    }

    @Test func wideCharactersArePaddedByColumns() {
        // 中文 and 日本語 take 4 and 6 terminal columns; their headers are one character (2 columns).
        let expected = """
            true\\pred   中 Eng  日  recall
            中文        80  20   .   80.0%
            English     25  75   .   75.0%
            日本語       .   .   .       -
            """
        let table = confusionMatrixText(categories: ["中文", "English", "日本語"], confusion: [[8, 2, 0], [1, 3, 0], [0, 0, 0]])
        #expect(table == expected)
    }

    @Test func smallSharesShowZeroAndNoneShowsADot() {
        let expected = """
            true\\pred    a   b  recall
            a            0 100    0.1%
            b           50  50   50.0%
            """
        #expect(confusionMatrixText(categories: ["a", "b"], confusion: [[1, 999], [500, 500]]) == expected)
    }

    @Test func eighteenCategoriesStayNarrow() throws {
        let k = Self.languages.count
        let confusion = (0..<k).map { row in (0..<k).map { row == $0 ? 50 : ($0 * row) % 4 } }
        let lines = confusionMatrixText(categories: Self.languages, confusion: confusion).split(separator: "\n")
        #expect(lines.count == k + 1)
        #expect(Set(lines.map(\.count)).count == 1, "aligned: \(lines.map(\.count))")
        #expect(lines[0].count <= 100, "\(lines[0].count) columns")
        let headings = lines[0].split(separator: " ").map(String.init)
        #expect(headings == ["true\\pred"] + Self.languages.map { String($0.prefix(3)) } + ["recall"])
        for (row, line) in lines.dropFirst().enumerated() {
            let fields = line.split(separator: " ").map(String.init)
            #expect(fields.first == Self.languages[row])
            #expect(fields.count == k + 2, "\(line)")
            #expect(fields.last?.hasSuffix("%") == true, "recall at the end: \(line)")
        }
    }

    @Test func controlCharactersAndLongNamesStayOnOneLine() {
        let table = confusionMatrixText(categories: ["new\nline", "a very long category name indeed"],
                                        confusion: [[1, 0], [0, 1]])
        let lines = table.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3)
        #expect(lines[1].hasPrefix("new?line "))
        #expect(lines[2].hasPrefix("a very long categor… "))
        #expect(Set(lines.map(\.count)).count == 1, "\(lines)")
    }
}

// MARK: - Reading the SVG back

/// One `<rect class="cell">` as written.
private struct HeatMapCell: CustomStringConvertible {
    var row: Int
    var column: Int
    var count: Int
    var share: Double
    var fill: String
    var description: String { "cell(\(row), \(column)): \(count), share \(share), \(fill)" }
}

/// The value of an attribute, found by going through the list: `attribute(forName:)` misses
/// attributes of elements in a default namespace in swift-corelibs-foundation.
private func attribute(_ name: String, of element: XMLElement) -> String? {
    element.attributes?.first { ($0.localName ?? $0.name) == name }?.stringValue
}

/// The document's root element; fails the test if the text is not well-formed XML.
private func parseSVG(_ svg: String) throws -> XMLElement {
    let document = try XMLDocument(xmlString: svg, options: [])
    return try #require(document.rootElement())
}

/// Every element below `element` with the given local name (`*`: any name).
private func elements(in element: XMLElement, named name: String) -> [XMLElement] {
    var found: [XMLElement] = []
    for case let child as XMLElement in element.children ?? [] {
        if name == "*" || (child.localName ?? child.name) == name { found.append(child) }
        found += elements(in: child, named: name)
    }
    return found
}

/// The `<g>` with the given class.
private func group(_ className: String, in root: XMLElement) -> XMLElement? {
    elements(in: root, named: "g").first { attribute("class", of: $0) == className }
}

/// The texts of the `<g>` with the given class, in document order (empty if there is none).
private func groupTexts(_ className: String, in root: XMLElement) -> [String] {
    group(className, in: root).map { elements(in: $0, named: "text").compactMap(\.stringValue) } ?? []
}

/// The heat map's cells, read from their data attributes.
private func cells(in root: XMLElement) throws -> [HeatMapCell] {
    try elements(in: root, named: "rect").filter { attribute("class", of: $0) == "cell" }.map {
        HeatMapCell(row: try #require(Int(attribute("data-true", of: $0) ?? "")),
                    column: try #require(Int(attribute("data-predicted", of: $0) ?? "")),
                    count: try #require(Int(attribute("data-count", of: $0) ?? "")),
                    share: try #require(Double(attribute("data-share", of: $0) ?? "")),
                    fill: attribute("fill", of: $0) ?? "")
    }
}

/// r + g + b of a "#rrggbb" colour.
private func brightness(_ colour: String) throws -> Int {
    #expect(colour.count == 7 && colour.hasPrefix("#"), "\(colour)")
    let value = try #require(Int(colour.dropFirst(), radix: 16))
    return (value >> 16) + (value >> 8 & 0xFF) + (value & 0xFF)
}

/// Every coordinate and size is a finite number on the canvas.
private func expectFiniteGeometry(_ root: XMLElement) throws {
    let width = try #require(Double(attribute("width", of: root) ?? ""))
    let height = try #require(Double(attribute("height", of: root) ?? ""))
    for element in elements(in: root, named: "*") {
        for (name, limit) in [("x", width), ("width", width), ("y", height), ("height", height)] {
            guard let text = attribute(name, of: element) else { continue }
            let value = try #require(Double(text), "\(name)=\(text)")
            #expect(value.isFinite && value >= 0 && value <= limit, "\(name)=\(text) in \(element.name ?? "")")
        }
    }
    for cell in elements(in: root, named: "rect") where attribute("class", of: cell) == "cell" {
        let right = (Double(attribute("x", of: cell) ?? "") ?? .nan) + (Double(attribute("width", of: cell) ?? "") ?? .nan)
        let bottom = (Double(attribute("y", of: cell) ?? "") ?? .nan) + (Double(attribute("height", of: cell) ?? "") ?? .nan)
        #expect(right <= width && bottom <= height, "cell inside the canvas")
    }
}
