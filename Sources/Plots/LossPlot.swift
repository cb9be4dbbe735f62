// MARK: - Training curves as an SVG chart (charrnn train --plot FILE.svg)
//
// A self-contained SVG 1.1 document, written by hand: no plotting library, only Foundation's
// String(format:). The chart is meant to be read on its own, without the CSV log: it has a title,
// labelled axes with ticks at 1, 2 or 5 × 10^k, a light grid, a legend, and the best validation
// score written next to its point.

import Foundation

/// One point of a curve.
public struct LossPoint: Equatable, Sendable {
    /// The training step (batch) the loss was measured at.
    public var step: Int
    /// The loss at that step, in bits per token.
    public var bitsPerToken: Double

    public init(step: Int, bitsPerToken: Double) {
        self.step = step
        self.bitsPerToken = bitsPerToken
    }
}

/// An SVG chart of the training and validation loss (bits per token) against the step.
///
/// The training curve is a blue line, the validation curve an orange line with a small circle at
/// each measurement, and the lowest validation point is ringed and labelled, e.g.
/// `best 2.31 at step 4,000`. Points whose loss is NaN or infinite are left out (so are absurd
/// magnitudes beyond 10^15, which no loss in bits reaches); each curve is drawn in step order.
/// Empty curves, a single point, flat curves and steps that start far above 0 all give a valid
/// chart whose numbers are all finite.
///
/// - Parameters:
///   - train: Training loss, usually one point per logged step.
///   - validation: Validation loss, usually one point per evaluation; may be empty.
///   - title: The chart's heading; any text (XML special characters are escaped).
/// - Returns: A standalone SVG document of 800 × 480 user units.
/// - Complexity: O(n log n) in the number of points (the curves are sorted by step).
public func lossPlotSVG(train: [LossPoint], validation: [LossPoint], title: String) -> String {
    let trainCurve = plottable(train)
    let validationCurve = plottable(validation)
    let everything = trainCurve + validationCurve

    // Axis ranges cover both curves; with no points at all they fall back to 0…1.
    let steps = everything.map { Double($0.step) }
    let losses = everything.map(\.bitsPerToken)
    let xAxis = NiceAxis(covering: steps.min() ?? 0, steps.max() ?? 1, targetTicks: 8, minimumStep: 1,
                         minimumSpan: 2)
    let lossMiddle = ((losses.min() ?? 0) + (losses.max() ?? 1)) / 2
    let yAxis = NiceAxis(covering: losses.min() ?? 0, losses.max() ?? 1, targetTicks: 6, minimumStep: 0,
                         minimumSpan: max(0.1 * abs(lossMiddle), 0.01))
    let frame = PlotFrame()
    func x(_ step: Int) -> Double { frame.left + xAxis.fraction(Double(step)) * frame.width }
    func y(_ bits: Double) -> Double { frame.bottom - yAxis.fraction(bits) * frame.height }

    var svg = SVGWriter()
    svg.line("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
    svg.line("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(Int(frame.canvasWidth))\" "
             + "height=\"\(Int(frame.canvasHeight))\" viewBox=\"0 0 \(Int(frame.canvasWidth)) "
             + "\(Int(frame.canvasHeight))\" font-family=\"sans-serif\" font-size=\"12\" fill=\"#222\">")
    svg.line("<title>\(xmlEscaped(title))</title>")
    svg.line("<rect x=\"0\" y=\"0\" width=\"\(Int(frame.canvasWidth))\" height=\"\(Int(frame.canvasHeight))\" "
             + "fill=\"white\"/>")

    // MARK: Grid, axes, ticks and their labels
    svg.line("<g class=\"grid\" stroke=\"#e6e6e6\" stroke-width=\"1\">")
    for tick in xAxis.ticks {
        let px = frame.left + xAxis.fraction(tick) * frame.width
        svg.line("<line x1=\"\(n(px))\" y1=\"\(n(frame.top))\" x2=\"\(n(px))\" y2=\"\(n(frame.bottom))\"/>")
    }
    for tick in yAxis.ticks {
        let py = frame.bottom - yAxis.fraction(tick) * frame.height
        svg.line("<line x1=\"\(n(frame.left))\" y1=\"\(n(py))\" x2=\"\(n(frame.right))\" y2=\"\(n(py))\"/>")
    }
    svg.line("</g>")

    svg.line("<g class=\"axes\" stroke=\"#444\" stroke-width=\"1\">")
    svg.line("<line x1=\"\(n(frame.left))\" y1=\"\(n(frame.bottom))\" x2=\"\(n(frame.right))\" "
             + "y2=\"\(n(frame.bottom))\"/>")
    svg.line("<line x1=\"\(n(frame.left))\" y1=\"\(n(frame.top))\" x2=\"\(n(frame.left))\" "
             + "y2=\"\(n(frame.bottom))\"/>")
    for tick in xAxis.ticks {
        let px = frame.left + xAxis.fraction(tick) * frame.width
        svg.line("<line x1=\"\(n(px))\" y1=\"\(n(frame.bottom))\" x2=\"\(n(px))\" y2=\"\(n(frame.bottom + 5))\"/>")
    }
    for tick in yAxis.ticks {
        let py = frame.bottom - yAxis.fraction(tick) * frame.height
        svg.line("<line x1=\"\(n(frame.left - 5))\" y1=\"\(n(py))\" x2=\"\(n(frame.left))\" y2=\"\(n(py))\"/>")
    }
    svg.line("</g>")

    svg.line("<g class=\"x-tick-labels\" text-anchor=\"middle\">")
    for tick in xAxis.ticks {
        let px = frame.left + xAxis.fraction(tick) * frame.width
        svg.line("<text x=\"\(n(px))\" y=\"\(n(frame.bottom + 19))\">\(stepLabel(tick))</text>")
    }
    svg.line("</g>")
    let yDecimals = yAxis.decimals
    svg.line("<g class=\"y-tick-labels\" text-anchor=\"end\">")
    for tick in yAxis.ticks {
        let py = frame.bottom - yAxis.fraction(tick) * frame.height
        svg.line("<text x=\"\(n(frame.left - 8))\" y=\"\(n(py + 4))\">\(decimalLabel(tick, decimals: yDecimals))</text>")
    }
    svg.line("</g>")

    svg.line("<text class=\"x-label\" x=\"\(n(frame.left + frame.width / 2))\" y=\"\(n(frame.canvasHeight - 12))\" "
             + "text-anchor=\"middle\" font-size=\"13\">step</text>")
    let yLabelX = 18.0, yLabelY = frame.top + frame.height / 2
    svg.line("<text class=\"y-label\" x=\"\(n(yLabelX))\" y=\"\(n(yLabelY))\" text-anchor=\"middle\" font-size=\"13\" "
             + "transform=\"rotate(-90 \(n(yLabelX)) \(n(yLabelY)))\">bits per token</text>")
    svg.line("<text class=\"title\" x=\"\(n(frame.canvasWidth / 2))\" y=\"26\" text-anchor=\"middle\" font-size=\"16\" "
             + "font-weight=\"bold\">\(xmlEscaped(title))</text>")

    // MARK: Curves
    if everything.isEmpty {
        svg.line("<text class=\"no-data\" x=\"\(n(frame.left + frame.width / 2))\" "
                 + "y=\"\(n(frame.top + frame.height / 2))\" text-anchor=\"middle\" fill=\"#888\">no data</text>")
    }
    if !trainCurve.isEmpty {
        let points = trainCurve.map { "\(n(x($0.step))),\(n(y($0.bitsPerToken)))" }.joined(separator: " ")
        svg.line("<polyline class=\"train\" fill=\"none\" stroke=\"\(trainColour)\" stroke-width=\"1.5\" "
                 + "stroke-linejoin=\"round\" points=\"\(points)\"/>")
        if trainCurve.count == 1, let only = trainCurve.first {  // a one-point line draws nothing
            svg.line("<circle class=\"train-point\" cx=\"\(n(x(only.step)))\" cy=\"\(n(y(only.bitsPerToken)))\" "
                     + "r=\"3\" fill=\"\(trainColour)\"/>")
        }
    }
    if !validationCurve.isEmpty {
        let points = validationCurve.map { "\(n(x($0.step))),\(n(y($0.bitsPerToken)))" }.joined(separator: " ")
        svg.line("<polyline class=\"validation\" fill=\"none\" stroke=\"\(validationColour)\" stroke-width=\"2\" "
                 + "stroke-linejoin=\"round\" points=\"\(points)\"/>")
        svg.line("<g class=\"validation-points\" fill=\"\(validationColour)\" stroke=\"white\" stroke-width=\"1\">")
        for point in validationCurve {
            svg.line("<circle cx=\"\(n(x(point.step)))\" cy=\"\(n(y(point.bitsPerToken)))\" r=\"3.5\"/>")
        }
        svg.line("</g>")
    }

    // MARK: Best validation point
    // The first of the lowest, so that a plateau is credited to the step that reached it.
    if let best = validationCurve.min(by: { $0.bitsPerToken < $1.bitsPerToken }) {
        let px = x(best.step), py = y(best.bitsPerToken)
        let label = "best \(decimalLabel(best.bitsPerToken, decimals: max(2, yDecimals))) at step \(groupedDigits(best.step))"
        // Write the label away from the edges: to the left of points in the right third, below
        // points near the top.
        let onTheLeft = px > frame.left + frame.width * 2 / 3
        let below = py < frame.top + 24
        let labelX = onTheLeft ? px - 9 : px + 9
        let labelY = below ? py + 20 : py - 10
        svg.line("<circle class=\"best\" cx=\"\(n(px))\" cy=\"\(n(py))\" r=\"7\" fill=\"none\" "
                 + "stroke=\"\(validationColour)\" stroke-width=\"1.5\"/>")
        svg.line("<text class=\"best-label\" x=\"\(n(labelX))\" y=\"\(n(labelY))\" "
                 + "text-anchor=\"\(onTheLeft ? "end" : "start")\" font-weight=\"bold\" stroke=\"white\" "
                 + "stroke-width=\"3\" paint-order=\"stroke\">\(xmlEscaped(label))</text>")
    }

    // MARK: Legend (top right, one entry per curve that has points)
    var entries: [(name: String, colour: String, marked: Bool)] = []
    if !trainCurve.isEmpty { entries.append(("train", trainColour, false)) }
    if !validationCurve.isEmpty { entries.append(("validation", validationColour, true)) }
    if !entries.isEmpty {
        let boxWidth = 112.0, rowHeight = 18.0
        let boxX = frame.right - boxWidth - 8, boxY = frame.top + 8
        svg.line("<g class=\"legend\">")
        svg.line("<rect x=\"\(n(boxX))\" y=\"\(n(boxY))\" width=\"\(n(boxWidth))\" "
                 + "height=\"\(n(Double(entries.count) * rowHeight + 8))\" fill=\"white\" fill-opacity=\"0.85\" "
                 + "stroke=\"#ccc\"/>")
        for (row, entry) in entries.enumerated() {
            let rowY = boxY + 4 + rowHeight * (Double(row) + 0.5)
            svg.line("<line x1=\"\(n(boxX + 8))\" y1=\"\(n(rowY))\" x2=\"\(n(boxX + 32))\" y2=\"\(n(rowY))\" "
                     + "stroke=\"\(entry.colour)\" stroke-width=\"2\"/>")
            if entry.marked {
                svg.line("<circle cx=\"\(n(boxX + 20))\" cy=\"\(n(rowY))\" r=\"3.5\" fill=\"\(entry.colour)\" "
                         + "stroke=\"white\"/>")
            }
            svg.line("<text x=\"\(n(boxX + 40))\" y=\"\(n(rowY + 4))\">\(entry.name)</text>")
        }
        svg.line("</g>")
    }

    svg.line("</svg>")
    return svg.text
}

// MARK: - Layout and colours

/// Blue and orange: told apart by most colour-blind readers too.
private let trainColour = "#1f77b4"
private let validationColour = "#ff7f0e"

/// Where the plotting area sits on the canvas (SVG user units, y growing downwards).
struct PlotFrame {
    let canvasWidth = 800.0, canvasHeight = 480.0
    let left = 72.0, right = 764.0, top = 44.0, bottom = 420.0
    var width: Double { right - left }
    var height: Double { bottom - top }
}

// MARK: - Nice axis ranges and ticks

/// An axis range widened to whole multiples of a tick spacing of 1, 2 or 5 × 10^k.
struct NiceAxis {
    let lower: Double
    let upper: Double
    let spacing: Double

    /// - Parameters:
    ///   - low, high: The smallest and largest value to show.
    ///   - targetTicks: About how many tick intervals to aim for.
    ///   - minimumStep: The smallest tick spacing allowed (1 for whole steps).
    ///   - minimumSpan: A narrower range (a single point, a flat curve) is widened to this,
    ///     centred on its middle.
    init(covering low: Double, _ high: Double, targetTicks: Int, minimumStep: Double, minimumSpan: Double) {
        // A loss or a step is never negative: padding must not invent negative ticks.
        let nonNegative = low >= 0
        var low = low, high = high
        if !(high - low >= minimumSpan) {
            let middle = (low + high) / 2
            low = middle - minimumSpan / 2
            high = middle + minimumSpan / 2
        }
        let spacing = max(NiceAxis.niceSpacing(span: high - low, intervals: targetTicks), minimumStep)
        var lower = (low / spacing).rounded(.down) * spacing
        let upper = (high / spacing).rounded(.up) * spacing
        if nonNegative && lower < 0 { lower = 0 }
        self.lower = lower
        self.upper = upper > lower ? upper : lower + spacing
        self.spacing = spacing
    }

    /// The smallest 1, 2 or 5 × 10^k that cuts `span` into at most about `intervals` pieces.
    static func niceSpacing(span: Double, intervals: Int) -> Double {
        let rough = span / Double(max(intervals, 1))
        guard rough.isFinite, rough > 0 else { return 1 }
        let magnitude = pow(10, log10(rough).rounded(.down))
        let residual = rough / magnitude
        let factor: Double = residual <= 1.000001 ? 1 : residual <= 2.000001 ? 2 : residual <= 5.000001 ? 5 : 10
        return factor * magnitude
    }

    /// The tick values from `lower` to `upper`, each computed from its index so errors don't add up.
    var ticks: [Double] {
        let count = Int(((upper - lower) / spacing).rounded())
        guard count >= 0, count <= 1_000 else { return [lower, upper] }
        return (0...count).map { lower + Double($0) * spacing }
    }

    /// Decimal places that show every tick exactly: 0 for spacing 1 or more, 1 for 0.5 or 0.2, …
    var decimals: Int {
        min(max(0, Int(-log10(spacing).rounded(.down))), 12)
    }

    /// Where `value` sits between `lower` (0) and `upper` (1).
    func fraction(_ value: Double) -> Double {
        let result = (value - lower) / (upper - lower)
        return result.isFinite ? result : 0.5
    }
}

// MARK: - Text

/// The points that can be drawn, in step order: a loss that is not a finite number is skipped.
private func plottable(_ points: [LossPoint]) -> [LossPoint] {
    points.filter { $0.bitsPerToken.isFinite && abs($0.bitsPerToken) < 1e15 }
        .enumerated().sorted { ($0.element.step, $0.offset) < ($1.element.step, $1.offset) }.map(\.element)
}

/// A coordinate with one decimal, which is finer than any screen needs.
func n(_ value: Double) -> String {
    value.isFinite ? String(format: "%.1f", value) : "0"
}

/// `value` with a fixed number of decimals and never a minus sign on zero.
func decimalLabel(_ value: Double, decimals: Int) -> String {
    let text = String(format: "%.\(decimals)f", value)
    return text.allSatisfy({ "-0.".contains($0) }) ? String(text.dropFirst(text.hasPrefix("-") ? 1 : 0)) : text
}

/// A step tick as a whole number with thousands separators (4,000); values out of Int's range
/// in scientific notation.
private func stepLabel(_ value: Double) -> String {
    abs(value) < 9e18 ? groupedDigits(Int(value.rounded())) : String(format: "%.3g", value)
}


