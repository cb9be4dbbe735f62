// The forecast chart: its three lines where the rows say, escaped text, and no NaN in the SVG.

import Foundation
import Testing
@testable import Plots

@Suite("Series plot")
struct SeriesPlotTests {
    /// The points of the polyline of class `name`, in SVG user units.
    static func points(_ svg: String, _ name: String) -> [(Double, Double)] {
        guard let start = svg.range(of: "<polyline class=\"\(name)\""),
              let open = svg.range(of: "points=\"", range: start.upperBound..<svg.endIndex),
              let close = svg.range(of: "\"", range: open.upperBound..<svg.endIndex)
        else { return [] }
        return svg[open.upperBound..<close.lowerBound].split(separator: " ").map { pair in
            let xy = pair.split(separator: ",").map { Double($0)! }
            return (xy[0], xy[1])
        }
    }

    @Test func threeLinesInRowOrder() {
        let svg = seriesPlotSVG(history: [1, 2, .nan, 4], heldOut: [5, 6], forecast: [5.5, 6.5, 7], forecastStart: 4,
                                title: "a <b> & c", unit: "ppm")
        let history = Self.points(svg, "history"), truth = Self.points(svg, "held-out-truth")
        let forecast = Self.points(svg, "forecast")
        #expect(history.count == 3 && truth.count == 2 && forecast.count == 3)  // the NaN is left out
        // The held-out truth starts where the forecast does (row 4), right of the history's last row.
        #expect(abs(truth[0].0 - forecast[0].0) < 0.05 && truth[0].0 > history.last!.0)
        // Higher values are drawn higher (smaller y).
        #expect(forecast[2].1 < forecast[0].1)
        #expect(svg.contains("a &lt;b&gt; &amp; c") && !svg.contains("nan") && svg.hasSuffix("</svg>\n"))
        let empty = seriesPlotSVG(history: [], heldOut: [], forecast: [], forecastStart: 0, title: "t", unit: "u")
        #expect(!empty.contains("<polyline") && !empty.contains("nan"))
    }
}
