// MARK: - Confusion matrices as an SVG heat map and as a terminal table
//
// Both views show the same thing: for each true category (a row), how its names were spread over
// the predicted categories (the columns), as shares of that row. The diagonal is the recall of
// each category; everything off it is a mistake, and the brightest off-diagonal cells say which
// categories the model mixes up. The SVG is written by hand like the loss chart in LossPlot.swift;
// the text table is sized for a terminal, counting East Asian wide characters as two columns.

import Foundation
import Tokenizer  // terminalColumns

/// A confusion matrix as an SVG heat map.
///
/// Rows are the true categories and columns the predicted ones. Each row is normalised to sum to
/// 1, so a cell shows the share of that category's names given to the predicted category; cells
/// are shaded from near-white (0) to dark blue (1) and labelled with the whole percentage when it
/// is at least 1%. Category names label both axes (the column names rotated to read upwards),
/// under the axis titles "true category" and "predicted category"; each row's number of names
/// (`n = 1,234`) is written at its right. A row without names is drawn blank (white, unlabelled)
/// rather than divided by zero.
///
/// Every cell is a `<rect class="cell">` with `data-true`, `data-predicted` (category indices),
/// `data-count` and `data-share` (the share of its row, 0 for an empty row) and a `<title>`
/// tooltip, so the numbers can be read back from the file.
///
/// The size follows the number of categories: 28-unit cells up to 21 categories, smaller ones
/// beyond so that the grid never exceeds 600 units; cell labels are left out once cells are too
/// small to hold them (more than 37 categories). Names longer than 24 columns are shortened with
/// "…". Any text is allowed in names and title: XML special characters are escaped.
///
/// - Parameters:
///   - categories: The category names, in the order of the matrix's rows and columns.
///   - confusion: `confusion[i][j]` is the number of names of category `i` predicted as `j`.
///     Missing entries (a short or ragged matrix) count as 0, entries beyond `categories.count`
///     are ignored, and negative counts are treated as 0.
///   - title: The chart's heading.
/// - Returns: A standalone SVG 1.1 document; about 700 × 700 units for 18 categories.
/// - Complexity: O(k²) for k categories.
public func confusionMatrixSVG(categories: [String], confusion: [[Int]], title: String) -> String {
    let table = ConfusionCounts(categories: categories, confusion: confusion)
    let names = table.names.map { shortened($0, toColumns: 24) }
    let layout = HeatMapLayout(names: names, totals: table.totals, title: title)
    let k = table.size
    let cell = layout.cell
    func cellX(_ column: Int) -> Double { layout.gridLeft + Double(column) * cell }
    func cellY(_ row: Int) -> Double { layout.gridTop + Double(row) * cell }

    var svg = SVGWriter()
    svg.line("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
    svg.line("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(Int(layout.canvasWidth))\" "
            + "height=\"\(Int(layout.canvasHeight))\" viewBox=\"0 0 \(Int(layout.canvasWidth)) "
            + "\(Int(layout.canvasHeight))\" font-family=\"sans-serif\" font-size=\"12\" fill=\"#222\">")
    svg.line("<title>\(xmlEscaped(title))</title>")
    svg.line("<rect x=\"0\" y=\"0\" width=\"\(Int(layout.canvasWidth))\" height=\"\(Int(layout.canvasHeight))\" "
            + "fill=\"white\"/>")
    svg.line("<text class=\"title\" x=\"\(svgNumber(layout.canvasWidth / 2))\" y=\"26\" text-anchor=\"middle\" "
            + "font-size=\"16\" font-weight=\"bold\">\(xmlEscaped(title))</text>")

    // MARK: Axis titles
    let gridMiddleX = layout.gridLeft + layout.gridSize / 2
    let gridMiddleY = layout.gridTop + layout.gridSize / 2
    let trueTitleX = layout.offset + 20
    svg.line("<text class=\"y-label\" x=\"\(svgNumber(trueTitleX))\" y=\"\(svgNumber(gridMiddleY))\" "
            + "text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 \(svgNumber(trueTitleX)) "
            + "\(svgNumber(gridMiddleY)))\">true category</text>")
    svg.line("<text class=\"x-label\" x=\"\(svgNumber(gridMiddleX))\" y=\"\(svgNumber(layout.canvasHeight - 14))\" "
            + "text-anchor=\"middle\" font-size=\"13\">predicted category</text>")

    if k == 0 {
        svg.line("<text class=\"no-data\" x=\"\(svgNumber(layout.canvasWidth / 2))\" "
                + "y=\"\(svgNumber(layout.gridTop + 20))\" text-anchor=\"middle\" fill=\"#888\">no categories</text>")
    }

    // MARK: Category names
    let labelFont = svgNumber(layout.labelFont)
    let baselineShift = layout.labelFont * 0.35  // puts the middle of the letters on the cell's middle
    svg.line("<g class=\"row-labels\" text-anchor=\"end\" font-size=\"\(labelFont)\">")
    for (row, name) in names.enumerated() {
        svg.line("<text x=\"\(svgNumber(layout.gridLeft - 6))\" y=\"\(svgNumber(cellY(row) + cell / 2 + baselineShift))\">"
                + "\(xmlEscaped(name))</text>")
    }
    svg.line("</g>")
    // Rotated by -90° about its anchor, a label reads upwards and, anchored at its end, hangs
    // below the grid; its letters lie to the left of the anchor, hence the shift to the right.
    svg.line("<g class=\"column-labels\" text-anchor=\"end\" font-size=\"\(labelFont)\">")
    for (column, name) in names.enumerated() {
        let x = svgNumber(cellX(column) + cell / 2 + baselineShift), y = svgNumber(layout.gridBottom + 6)
        svg.line("<text x=\"\(x)\" y=\"\(y)\" transform=\"rotate(-90 \(x) \(y))\">\(xmlEscaped(name))</text>")
    }
    svg.line("</g>")

    // MARK: Cells
    svg.line("<g class=\"cells\" stroke=\"#e0e0e0\" stroke-width=\"0.5\">")
    for row in 0..<k {
        for column in 0..<k {
            let count = table.counts[row][column]
            let share = table.share(row, column)
            let tooltip = "\(table.names[row]) → \(table.names[column]): \(groupedDigits(count)) of "
                + "\(groupedDigits(table.totals[row]))" + (share.map { String(format: " (%.1f%%)", $0 * 100) } ?? "")
            svg.line("<rect class=\"cell\" x=\"\(svgNumber(cellX(column)))\" y=\"\(svgNumber(cellY(row)))\" "
                    + "width=\"\(svgNumber(cell))\" height=\"\(svgNumber(cell))\" fill=\"\(heatColour(share ?? 0))\" "
                    + "data-true=\"\(row)\" data-predicted=\"\(column)\" data-count=\"\(count)\" "
                    + "data-share=\"\(String(format: "%.6f", share ?? 0))\"><title>\(xmlEscaped(tooltip))</title></rect>")
        }
    }
    svg.line("</g>")
    svg.line("<rect class=\"grid-border\" x=\"\(svgNumber(layout.gridLeft))\" y=\"\(svgNumber(layout.gridTop))\" "
            + "width=\"\(svgNumber(layout.gridSize))\" height=\"\(svgNumber(layout.gridSize))\" fill=\"none\" "
            + "stroke=\"#444\" stroke-width=\"1\"/>")

    if layout.showsCellLabels {
        let cellFont = min(10, cell * 0.34)
        svg.line("<g class=\"cell-labels\" text-anchor=\"middle\" font-size=\"\(svgNumber(cellFont))\">")
        for row in 0..<k {
            for column in 0..<k {
                guard let share = table.share(row, column), share >= 0.01 else { continue }
                // Dark cells get white text.
                let colour = share > 0.5 ? "white" : "#222"
                svg.line("<text x=\"\(svgNumber(cellX(column) + cell / 2))\" "
                        + "y=\"\(svgNumber(cellY(row) + cell / 2 + cellFont * 0.35))\" fill=\"\(colour)\">"
                        + "\(Int((share * 100).rounded()))%</text>")
            }
        }
        svg.line("</g>")
    }

    // MARK: Row totals
    svg.line("<g class=\"row-totals\" text-anchor=\"start\" font-size=\"\(svgNumber(layout.totalsFont))\" fill=\"#555\">")
    for (row, total) in table.totals.enumerated() {
        svg.line("<text x=\"\(svgNumber(layout.gridRight + 8))\" "
                + "y=\"\(svgNumber(cellY(row) + cell / 2 + layout.totalsFont * 0.35))\">n = \(groupedDigits(total))</text>")
    }
    svg.line("</g>")

    svg.line("</svg>")
    return svg.text
}

/// A confusion matrix as a text table for a terminal.
///
/// One line per true category after a header line. The header names each predicted category by
/// its first 3 characters (as many as fit in 3 terminal columns, so one CJK character); each cell
/// is the whole percentage of the row's names given to that column, right-aligned in 4 columns,
/// with "." for no names at all (a share that rounds to 0 but is not 0 reads "0"). The last
/// column is the row's recall (the diagonal share) with one decimal, or "-" for a row without
/// names. Row names are padded by terminal width (East Asian wide characters count two columns)
/// and shortened with "…" beyond 20 columns; control characters show as "?". 18 categories give
/// lines of about 90 columns.
///
///     true\pred  Ara Chi Cze  recall
///     Arabic      90   5   5   90.0%
///     Chinese      .  80  20   80.0%
///     Czech        3   .  97   97.0%
///
/// - Parameters:
///   - categories: The category names, in the order of the matrix's rows and columns.
///   - confusion: `confusion[i][j]` is the number of names of category `i` predicted as `j`;
///     read as in ``confusionMatrixSVG(categories:confusion:title:)``.
/// - Returns: The table's lines joined by newlines, without a final newline.
/// - Complexity: O(k²) for k categories.
public func confusionMatrixText(categories: [String], confusion: [[Int]]) -> String {
    let table = ConfusionCounts(categories: categories, confusion: confusion)
    let names = table.names.map { shortened(terminalSafe($0), toColumns: 20) }
    let corner = "true\\pred"
    let labelColumns = (([corner] + names).map { terminalColumns(of: $0) }.max() ?? 0) + 1  // one space after
    let cellColumns = 4, recallColumns = 8

    var header = leftAligned(corner, columns: labelColumns)
    for name in names {
        header += rightAligned(prefix(name, fittingColumns: 3), columns: cellColumns)
    }
    header += rightAligned("recall", columns: recallColumns)

    var lines = [header]
    for (row, name) in names.enumerated() {
        var line = leftAligned(name, columns: labelColumns)
        for column in 0..<table.size {
            let cell: String
            if table.counts[row][column] == 0 {
                cell = "."
            } else {
                cell = String(Int(((table.share(row, column) ?? 0) * 100).rounded()))
            }
            line += rightAligned(cell, columns: cellColumns)
        }
        let recall = table.share(row, row).map { String(format: "%.1f%%", $0 * 100) } ?? "-"
        line += rightAligned(recall, columns: recallColumns)
        lines.append(line)
    }
    return lines.joined(separator: "\n")
}

// MARK: - The matrix, cleaned up

/// A square matrix of non-negative counts, one row and column per category, with row totals.
private struct ConfusionCounts {
    let names: [String]
    /// counts[i][j]: names of category i predicted as j; k × k.
    let counts: [[Int]]
    /// totals[i]: names of category i.
    let totals: [Int]

    var size: Int { names.count }

    /// Squares up `confusion` to `categories.count` rows and columns (missing entries are 0,
    /// extra ones dropped) and clamps negative counts to 0.
    init(categories: [String], confusion: [[Int]]) {
        let k = categories.count
        names = categories
        counts = (0..<k).map { row in
            (0..<k).map { column in
                guard row < confusion.count, column < confusion[row].count else { return 0 }
                return max(confusion[row][column], 0)
            }
        }
        totals = counts.map { $0.reduce(0, +) }
    }

    /// The share of row `row`'s names predicted as `column`, or nil for a row without names.
    func share(_ row: Int, _ column: Int) -> Double? {
        totals[row] > 0 ? Double(counts[row][column]) / Double(totals[row]) : nil
    }
}

// MARK: - Heat map layout and colour

/// Where the parts of the heat map sit (SVG user units, y growing downwards).
///
/// From left to right: the rotated "true category" title, the row names, the grid, the row
/// totals. From the top: the chart title, the grid, the rotated column names, the "predicted
/// category" title. A title wider than all that widens the canvas, and the rest is centred.
private struct HeatMapLayout {
    let cell: Double
    let labelFont: Double
    let totalsFont: Double
    let showsCellLabels: Bool
    /// How far everything but the title is moved right to centre it under a wide title.
    let offset: Double
    let gridLeft: Double
    let gridTop: Double
    let gridSize: Double
    let canvasWidth: Double
    let canvasHeight: Double

    var gridRight: Double { gridLeft + gridSize }
    var gridBottom: Double { gridTop + gridSize }

    init(names: [String], totals: [Int], title: String) {
        let k = names.count
        let cell = k == 0 ? 28 : min(28, 600 / Double(k))
        let labelFont = min(12, max(4, cell * 0.75)), totalsFont = min(11, max(4, cell * 0.7))
        self.cell = cell
        self.labelFont = labelFont
        self.totalsFont = totalsFont
        showsCellLabels = cell >= 16
        gridSize = cell * Double(k)
        // Widths are guessed from the number of terminal columns, at 0.6 em per column: close
        // enough for sans-serif Latin, and a CJK character (two columns) is about 1 em.
        let labelExtent = names.map { estimatedWidth($0, fontSize: labelFont) }.max() ?? 0
        let totalsExtent = totals.map { estimatedWidth("n = \(groupedDigits($0))", fontSize: totalsFont) }.max() ?? 0
        let leftOfGrid = 34 + labelExtent + 6
        let contentWidth = leftOfGrid + gridSize + 8 + totalsExtent + 16
        let titleWidth = min(estimatedWidth(title, fontSize: 16) * 1.05 + 40, 1_600)
        canvasWidth = max(contentWidth, titleWidth, 240).rounded(.up)
        offset = ((canvasWidth - contentWidth) / 2).rounded(.down)
        gridLeft = offset + leftOfGrid
        gridTop = 48
        canvasHeight = max(gridTop + gridSize + 6 + labelExtent + 40, 160).rounded(.up)
    }
}

/// The fill for a share from 0 (near-white) to 1 (dark blue), on a straight line between them.
private func heatColour(_ share: Double) -> String {
    let t = share.isFinite ? min(max(share, 0), 1) : 0
    let light = (r: 247.0, g: 251.0, b: 255.0), dark = (r: 8.0, g: 48.0, b: 107.0)
    func mix(_ a: Double, _ b: Double) -> Int { Int((a + (b - a) * t).rounded()) }
    return String(format: "#%02x%02x%02x", mix(light.r, dark.r), mix(light.g, dark.g), mix(light.b, dark.b))
}

/// The rough rendered width of `text` in a sans-serif font.
private func estimatedWidth(_ text: String, fontSize: Double) -> Double {
    Double(terminalColumns(of: text)) * 0.6 * fontSize
}

// MARK: - Terminal columns

/// `text` padded with spaces on the right to `columns` terminal columns.
private func leftAligned(_ text: String, columns: Int) -> String {
    text + String(repeating: " ", count: max(columns - terminalColumns(of: text), 0))
}

/// `text` padded with spaces on the left to `columns` terminal columns.
private func rightAligned(_ text: String, columns: Int) -> String {
    String(repeating: " ", count: max(columns - terminalColumns(of: text), 0)) + text
}

/// The longest start of `text` that fits in `columns` terminal columns.
private func prefix(_ text: String, fittingColumns columns: Int) -> String {
    var result = "", used = 0
    for character in text {
        let width = terminalColumns(of: character)
        if used + width > columns { break }
        result.append(character)
        used += width
    }
    return result
}

/// `text` itself if it fits in `columns` terminal columns, else its start and "…".
private func shortened(_ text: String, toColumns columns: Int) -> String {
    terminalColumns(of: text) <= columns ? text : prefix(text, fittingColumns: columns - 1) + "…"
}

/// `text` with each control character (a newline, a tab, an escape) shown as "?", so that one
/// name stays on one line and cannot move the cursor.
private func terminalSafe(_ text: String) -> String {
    var safe = ""
    safe.unicodeScalars.append(contentsOf: text.unicodeScalars.map {
        $0.properties.generalCategory == .control ? "?" : $0
    })
    return safe
}

// MARK: - SVG text

/// A coordinate with one decimal (finer than any screen needs).
private func svgNumber(_ value: Double) -> String {
    value.isFinite ? String(format: "%.1f", value) : "0"
}


