// MARK: - A forecast as an SVG chart: history, held-out truth, forecast (charrnn eval/forecast --plot)
//
// The same frame, axes and number formatting as the loss chart (LossPlot.swift); the x axis is
// the row of the series (0 = its first value), the y axis the series' own units.

import Foundation

/// An SVG chart of a series and a forecast of it.
///
/// The history is a grey line over rows 0 ..< `history.count`; the held-out truth a blue line
/// over the rows after it; the forecast an orange line starting at row `forecastStart`. A dashed
/// vertical line marks where the history ends. Values that are not finite are left out.
///
/// - Parameters:
///   - history: the values the forecaster knew, oldest first.
///   - heldOut: the true values after the history (may be empty, as for a forecast past the
///     end of a file).
///   - forecast: the forecaster's values, from row `forecastStart` on.
///   - forecastStart: the row of the first forecast value.
///   - title: the chart's heading (escaped).
///   - unit: the y axis label, such as the column's name.
/// - Returns: a standalone SVG document of 800 × 480 user units.
/// - Complexity: O(n) in the number of values.
public func seriesPlotSVG(history: [Double], heldOut: [Double], forecast: [Double], forecastStart: Int, title: String,
                          unit: String) -> String
{
    typealias Point = (x: Double, y: Double)
    func points(_ values: [Double], from first: Int) -> [Point] {
        values.enumerated().compactMap { i, v in v.isFinite && abs(v) < 1e15 ? (Double(first + i), v) : nil }
    }
    let lines: [(name: String, colour: String, width: Double, points: [Point])] = [
        ("history", "#7f7f7f", 1.2, points(history, from: 0)),
        ("held-out truth", "#1f77b4", 1.5, points(heldOut, from: history.count)),
        ("forecast", "#ff7f0e", 1.8, points(forecast, from: forecastStart)),
    ]
    let all = lines.flatMap(\.points)
    let xs = all.map(\.x), ys = all.map(\.y)
    let xAxis = NiceAxis(covering: xs.min() ?? 0, xs.max() ?? 1, targetTicks: 8, minimumStep: 1, minimumSpan: 2)
    let middle = ((ys.min() ?? 0) + (ys.max() ?? 1)) / 2
    let yAxis = NiceAxis(covering: ys.min() ?? 0, ys.max() ?? 1, targetTicks: 6, minimumStep: 0,
                         minimumSpan: max(0.1 * abs(middle), 0.01))
    let frame = PlotFrame()
    func x(_ value: Double) -> Double { frame.left + xAxis.fraction(value) * frame.width }
    func y(_ value: Double) -> Double { frame.bottom - yAxis.fraction(value) * frame.height }

    var svg = SVGWriter()
    let (w, h) = (Int(frame.canvasWidth), Int(frame.canvasHeight))
    svg.line("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
    svg.line("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(w)\" height=\"\(h)\" "
             + "viewBox=\"0 0 \(w) \(h)\" font-family=\"sans-serif\" font-size=\"12\" fill=\"#222\">")
    svg.line("<title>\(xmlEscaped(title))</title>")
    svg.line("<rect x=\"0\" y=\"0\" width=\"\(w)\" height=\"\(h)\" fill=\"white\"/>")
    svg.line("<g class=\"grid\" stroke=\"#e6e6e6\" stroke-width=\"1\">")
    for tick in xAxis.ticks { svg.line("<line x1=\"\(n(x(tick)))\" y1=\"\(n(frame.top))\" x2=\"\(n(x(tick)))\" y2=\"\(n(frame.bottom))\"/>") }
    for tick in yAxis.ticks { svg.line("<line x1=\"\(n(frame.left))\" y1=\"\(n(y(tick)))\" x2=\"\(n(frame.right))\" y2=\"\(n(y(tick)))\"/>") }
    svg.line("</g>")
    svg.line("<g class=\"axes\" stroke=\"#444\" stroke-width=\"1\">")
    svg.line("<line x1=\"\(n(frame.left))\" y1=\"\(n(frame.bottom))\" x2=\"\(n(frame.right))\" y2=\"\(n(frame.bottom))\"/>")
    svg.line("<line x1=\"\(n(frame.left))\" y1=\"\(n(frame.top))\" x2=\"\(n(frame.left))\" y2=\"\(n(frame.bottom))\"/>")
    svg.line("</g>")
    svg.line("<g class=\"x-tick-labels\" text-anchor=\"middle\">")
    for tick in xAxis.ticks {
        svg.line("<text x=\"\(n(x(tick)))\" y=\"\(n(frame.bottom + 18))\">\(groupedDigits(Int(tick.rounded())))</text>")
    }
    svg.line("</g>")
    svg.line("<g class=\"y-tick-labels\" text-anchor=\"end\">")
    for tick in yAxis.ticks {
        svg.line("<text x=\"\(n(frame.left - 8))\" y=\"\(n(y(tick) + 4))\">\(decimalLabel(tick, decimals: yAxis.decimals))</text>")
    }
    svg.line("</g>")
    svg.line("<text class=\"x-label\" x=\"\(n(frame.left + frame.width / 2))\" y=\"\(n(frame.canvasHeight - 12))\" "
             + "text-anchor=\"middle\" font-size=\"13\">row</text>")
    let labelX = 18.0, labelY = frame.top + frame.height / 2
    svg.line("<text class=\"y-label\" x=\"\(n(labelX))\" y=\"\(n(labelY))\" text-anchor=\"middle\" font-size=\"13\" "
             + "transform=\"rotate(-90 \(n(labelX)) \(n(labelY)))\">\(xmlEscaped(unit))</text>")
    svg.line("<text class=\"title\" x=\"\(n(frame.canvasWidth / 2))\" y=\"26\" text-anchor=\"middle\" font-size=\"16\" "
             + "font-weight=\"bold\">\(xmlEscaped(title))</text>")
    if !history.isEmpty {
        let edge = x(Double(history.count) - 0.5)
        svg.line("<line class=\"cut\" x1=\"\(n(edge))\" y1=\"\(n(frame.top))\" x2=\"\(n(edge))\" y2=\"\(n(frame.bottom))\" "
                 + "stroke=\"#999\" stroke-dasharray=\"4 4\"/>")
    }
    for line in lines where !line.points.isEmpty {
        let text = line.points.map { "\(n(x($0.x))),\(n(y($0.y)))" }.joined(separator: " ")
        let cls = line.name.replacingOccurrences(of: " ", with: "-")
        svg.line("<polyline class=\"\(cls)\" fill=\"none\" stroke=\"\(line.colour)\" stroke-width=\"\(line.width)\" "
                 + "stroke-linejoin=\"round\" points=\"\(text)\"/>")
    }
    let shown = lines.filter { !$0.points.isEmpty }
    if !shown.isEmpty {
        let boxWidth = 140.0, rowHeight = 18.0, boxX = frame.left + 8, boxY = frame.top + 8
        svg.line("<g class=\"legend\">")
        svg.line("<rect x=\"\(n(boxX))\" y=\"\(n(boxY))\" width=\"\(n(boxWidth))\" "
                 + "height=\"\(n(Double(shown.count) * rowHeight + 8))\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>")
        for (row, line) in shown.enumerated() {
            let rowY = boxY + 4 + rowHeight * (Double(row) + 0.5)
            svg.line("<line x1=\"\(n(boxX + 8))\" y1=\"\(n(rowY))\" x2=\"\(n(boxX + 32))\" y2=\"\(n(rowY))\" "
                     + "stroke=\"\(line.colour)\" stroke-width=\"2\"/>")
            svg.line("<text x=\"\(n(boxX + 40))\" y=\"\(n(rowY + 4))\">\(line.name)</text>")
        }
        svg.line("</g>")
    }
    svg.line("</svg>")
    return svg.text
}
