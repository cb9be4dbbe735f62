// The forecaster's data path: the CSV reader, the chronological split, scaling by the training
// part only, the baselines, and feeding predictions back.

import CharRNN
import Foundation
import Testing

@Suite("Forecaster: CSV, split, scaling")
struct ForecasterTests {
    // MARK: - CSV

    @Test func quotedFieldsLineEndsAndBlankLines() throws {
        let text = "name,\"a, b\",\"say \"\"hi\"\"\"\r\n\"x,1\",1.5,\"two\nlines\"\r\n\nplain, 2 ,3\n\"last\",-4e1,x"
        let table = try CSVTable(text: text, name: "t.csv")
        #expect(table.columns == ["name", "a, b", "say \"hi\""])
        #expect(table.rows.count == 3)
        #expect(table.rows[0].fields == ["x,1", "1.5", "two\nlines"] && table.rows[0].line == 2)
        #expect(table.rows[1].fields == ["plain", " 2 ", "3"] && table.rows[1].line == 5)  // after the quoted line break and a blank line
        #expect(table.rows[2].line == 6)
        #expect(try table.numbers(column: "a, b", fill: .none, name: "t.csv") == [1.5, 2, -40])
    }

    @Test func missingAndNonNumericCellsNameTheLineAndColumn() throws {
        let table = try CSVTable(text: "t,v\n1,1\n2\n3,inf\n4,7\n", name: "s.csv")
        #expect(throws: CharRNNError("s.csv line 3, column \"v\": the cell is empty; fix the file, or pass --fill previous to use the value above")) {
            try table.numbers(column: "v", fill: .none, name: "s.csv")
        }
        let error = #expect(throws: CharRNNError.self) {
            try CSVTable(text: "t,v\n1,1\n2,2\n3,inf\n", name: "s.csv").numbers(column: "v", fill: .none, name: "s.csv")
        }
        #expect(error?.description.hasPrefix("s.csv line 4, column \"v\": \"inf\" is not a number") == true)
        // --fill previous: the value above, for a short row and for a non-number alike.
        #expect(try table.numbers(column: "v", fill: .previous, name: "s.csv") == [1, 1, 1, 7])
        let unknown = #expect(throws: CharRNNError.self) { try table.numbers(column: "w", fill: .none, name: "s.csv") }
        #expect(unknown?.description == "s.csv has no column \"w\"; its columns are \"t\", \"v\"")
        #expect(throws: CharRNNError.self) { try CSVTable(text: "a,\"b\n1,2\n", name: "q.csv") }
        #expect(throws: CharRNNError.self) { try CSVTable(text: "", name: "e.csv") }
        #expect(throws: CharRNNError.self) { try CSVTable(text: "a,a\n1,2\n", name: "d.csv") }
    }

    // MARK: - Split and scaling

    @Test(arguments: [(100, 24, 1, 0.2), (100, 5, 3, 0.1), (40, 12, 2, 0.5), (30, 1, 1, 0.01)])
    func theSplitNeverCrossesTheCut(count: Int, lookback: Int, horizon: Int, heldOut: Double) {
        let split = SeriesWindows.chronologicalSplit(count: count, lookback: lookback, horizon: horizon, heldOut: heldOut)
        #expect(split.cut == count - max(1, Int((Double(count) * heldOut).rounded())))
        // Every training window (inputs and targets) lies before the cut; every held-out window's
        // targets at or after it; together they cover every target position once from the cut on.
        #expect(!split.train.isEmpty && split.train.allSatisfy { $0 + lookback + horizon <= split.cut })
        #expect(split.train.last! + lookback + horizon == split.cut)
        #expect(split.heldOut.allSatisfy { $0 + lookback >= split.cut && $0 + lookback + horizon <= count })
        #expect(split.heldOut.first! + lookback == split.cut && split.heldOut.last! + lookback + horizon == count)
    }

    @Test func scalingUsesTheTrainingPartOnlyAndForecastsFeedBack() throws {
        // A rising series: the held-out tail is far above the training part's mean.
        let series: [Double] = (0..<60).map { (i: Int) -> Double in Double(i) * 2 + 100 + (i % 5 == 0 ? 1.0 : 0.0) }
        var c = ForecasterConfiguration()
        c.lookback = 6
        c.horizon = 2
        c.hiddenSize = 3
        c.epochs = 2
        c.heldOut = 0.25
        c.season = 5
        let (forecaster, outcome) = try Forecaster.train(series: series, column: "v", configuration: c)
        #expect(outcome == .finished)
        let cut = 45
        let part = series.prefix(cut)
        let mean = part.reduce(0, +) / Double(cut)
        let squares: Double = part.reduce(0.0) { (sum: Double, x: Double) -> Double in sum + (x - mean) * (x - mean) }
        let std = (squares / Double(cut)).squareRoot()
        let s = forecaster.settings
        #expect(abs(s.scaleMean - mean) < 1e-9 && abs(s.scaleStd - std) < 1e-9)
        #expect(abs(s.scaleMean - series.reduce(0, +) / 60) > 10)  // not the whole series' mean
        #expect(s.lookback == 6 && s.horizon == 2 && s.season == 5 && s.column == "v")

        // Two values at a time, each pair read from a window ending in the previous pair.
        let five = try forecaster.forecast(history: series, steps: 5)
        let a = try forecaster.predict(after: series), b = try forecaster.predict(after: series + a)
        let c3 = try forecaster.predict(after: series + a + b)
        #expect(five == Array((a + b + c3).prefix(5)))
        #expect(throws: CharRNNError.self) { try forecaster.forecast(history: Array(series.prefix(5)), steps: 1) }

        // The baselines, computed here by hand on the held-out windows.
        let e = try forecaster.evaluate(series: series)
        var last = 0.0, seasonal = 0.0, n = 0.0
        for start in (cut - 6)...(60 - 6 - 2) {
            for j in 0..<2 {
                let target = start + 6 + j, known = start + 5
                last += pow(series[target] - series[known], 2)
                let back = target - 5 > known ? target - 10 : target - 5
                seasonal += pow(series[target] - series[back], 2)
                n += 1
            }
        }
        #expect(e.count == Int(n) && e.cut == cut)
        #expect(abs(e.lastValue.rmse - (last / n).squareRoot()) < 1e-9)
        #expect(abs(e.seasonal!.rmse - (seasonal / n).squareRoot()) < 1e-9)
    }

    @Test func aChangeTargetIsAddedToTheWindowsLastValue() throws {
        // The training targets: each window's next values less its last value.
        let windows = SeriesWindows(values: [1, 2, 4, 7, 11, 16], lookback: 3, horizon: 2, starts: [0, 1], relative: true)
        let expectedTargets: [Float] = [3, 7, 4, 9]  // 7 − 4, 11 − 4; 11 − 7, 16 − 7
        #expect(windows.targets([0, 1]) == expectedTargets)
        #expect(SeriesWindows(values: [1, 2, 4, 7, 11, 16], lookback: 3, horizon: 2, starts: [1]).targets([0]) == [11, 16])

        let series: [Double] = (0..<50).map { (i: Int) -> Double in 3 * Double(i) + (i % 4 == 0 ? 2.0 : 0.0) }
        var c = ForecasterConfiguration()
        c.lookback = 5
        c.hiddenSize = 3
        c.epochs = 2
        c.predictChange = true
        let (forecaster, _) = try Forecaster.train(series: series, column: "v", configuration: c)
        #expect(forecaster.metadata.forecast?.target == "change" && forecaster.settings.predictsChange)
        // predict = unscale(network output + the window's last scaled value).
        let s = forecaster.settings
        let window = series.suffix(5).map { Float(($0 - s.scaleMean) / s.scaleStd) }
        let raw = Workspace(shape: forecaster.network.shape, batch: 1, steps: 5)
            .regressionLoss(forecaster.network, inputs: window, targets: nil, gradients: nil, lossScale: 1).predictions[0]
        let expected = Double(raw + window[4]) * s.scaleStd + s.scaleMean
        #expect(abs(try forecaster.predict(after: series)[0] - expected) < 1e-9 * max(1, abs(expected)))
        let e = try forecaster.evaluate(series: series)
        #expect(e.predictions.count == 10 && e.predictionsStart == 40)
        // Each held-out prediction: the window's last true value plus the network's change.
        let window40 = series[35..<40].map { Float(($0 - s.scaleMean) / s.scaleStd) }
        let raw40 = Workspace(shape: forecaster.network.shape, batch: 1, steps: 5)
            .regressionLoss(forecaster.network, inputs: window40, targets: nil, gradients: nil, lossScale: 1).predictions[0]
        #expect(abs(e.predictions[0] - (Double(raw40 + window40[4]) * s.scaleStd + s.scaleMean)) < 1e-4)
    }

    @Test func badSettingsNameTheOption() {
        var c = ForecasterConfiguration()
        c.lookback = 0
        #expect(throws: CharRNNError(option: "lookback", "must be in 1...100000 (got 0)")) { try c.validate() }
        c = ForecasterConfiguration()
        c.heldOut = 1
        #expect(throws: CharRNNError.self) { try c.validate() }
        #expect(throws: CharRNNError.self) {
            try Forecaster.train(series: [1, 2, 3], column: "v", configuration: ForecasterConfiguration())
        }
    }
}
