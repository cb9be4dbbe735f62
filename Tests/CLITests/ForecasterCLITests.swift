// train-forecaster, forecast and eval --csv through the command line: the CSV errors, a tiny
// round trip (debug build: a few epochs of a 4-unit network), the JSON shapes, a broken model,
// and the shipped forecaster against its two baselines.

import CharRNN
import Foundation
import Testing
import TestSupport

@Suite("Forecaster commands")
struct ForecasterCLITests {
    /// A CSV of 80 rows: a date column and a noisy sine with a period of 10 in "value".
    static func series(rows: Int = 80) -> String {
        var rng = SeededGenerator(seed: 3)
        var text = "day,\"value, units\",value\n"
        for i in 0..<rows {
            let v = 10 + 3 * Foundation.sin(Double(i) * 2 * .pi / 10) + Double(rng.uniform(-0.3, 0.3))
            text += "2026-01-\(i),\"x, \(i)\",\(String(format: "%.3f", v))\n"
        }
        return text
    }

    static func expectOneLineError(_ run: Run, _ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.status == 1 || run.status == 64, "\(run.stdout) \(run.stderr)", sourceLocation: sourceLocation)
        for fragment in fragments { #expect(run.stderr.contains(fragment), "\(run.stderr)", sourceLocation: sourceLocation) }
        let errors = run.stderr.split(separator: "\n").filter { !$0.hasPrefix("charrnn: ") }  // notes of progress
        #expect(errors.count == 1 && errors[0].hasPrefix("Error: "), "\(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.stdout.isEmpty, sourceLocation: sourceLocation)
    }

    @Test func badCellsAndColumnsAreOneLineErrors() throws {
        let empty = try TemporaryFile("t,value\n1,2.5\n2,\n3,4\n")
        let out = (empty.path as NSString).deletingLastPathComponent + "/m.safetensors"
        let train = ["train-forecaster", "--csv", empty.path, "--column", "value", "--out", out, "--epochs", "1"]
        Self.expectOneLineError(try charrnn(train), ["line 3", "column \"value\"", "the cell is empty", "--fill previous"])
        let word = try TemporaryFile("t,value\n1,2.5\n2,3\n3,n/a\n")
        Self.expectOneLineError(try charrnn(["train-forecaster", "--csv", word.path, "--column", "value", "--out", out]),
                                ["line 4", "\"n/a\" is not a number"])
        Self.expectOneLineError(try charrnn(["train-forecaster", "--csv", word.path, "--column", "Value", "--out", out]),
                                ["no column \"Value\"", "its columns are \"t\", \"value\""])
        let first = try TemporaryFile("t,value\n1,\n2,3\n")
        Self.expectOneLineError(try charrnn(["train-forecaster", "--csv", first.path, "--column", "value", "--out", out,
                                             "--fill", "previous"]), ["line 2", "no earlier value"])
        // Filled, the short file is then too short to split: a clear error, and no model written.
        Self.expectOneLineError(try charrnn(train + ["--fill", "previous"]), ["too few"])
        #expect(!FileManager.default.fileExists(atPath: out))
        // A network that could not fit in memory is refused before anything is allocated.
        let csv = try TemporaryFile(Self.series())
        Self.expectOneLineError(try charrnn(["train-forecaster", "--csv", csv.path, "--column", "value", "--out", out,
                                             "--hidden", "65536", "--layers", "64", "--lookback", "60"]),
                                ["needs", "lower --hidden, --batch-size or --lookback"])
    }

    @Test func trainForecastAndEvaluateATinyModel() throws {
        let csv = try TemporaryFile(Self.series())
        let folder = (csv.path as NSString).deletingLastPathComponent
        let model = folder + "/tiny.safetensors", plot = folder + "/tiny.svg"
        let train = try charrnn(["train-forecaster", "--csv", csv.path, "--column", "value", "--out", model, "--lookback", "8",
                                 "--season", "10", "--hidden", "4", "--epochs", "3", "--batch-size", "16", "--plot", plot])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stderr.contains("held-out RMSE") && train.stdout.isEmpty, "\(train.stderr)")
        let file = try ModelFile(contentsOf: model)
        #expect(file.metadata.task == .forecaster && file.metadata.forecast?.season == 10 && file.metadata.forecast?.lookback == 8)
        #expect(file.network.shape.hiddenSize == 4 && file.network.shape.denseInput)
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        #expect(svg.hasPrefix("<?xml") && svg.contains("class=\"held-out-truth\"") && svg.contains("class=\"forecast\""))

        // forecast: one value per line, then the same values as {"forecast": [...]}.
        let text = try charrnn(["forecast", "--model", model, "--csv", csv.path, "--steps", "3"])
        #expect(text.status == 0, "\(text.stderr)")
        let lines = text.stdout.split(separator: "\n").map { Double($0) }
        #expect(lines.count == 3 && lines.allSatisfy { $0 != nil && $0!.isFinite }, "\(text.stdout)")
        let json = try charrnn(["forecast", "--model", model, "--csv", csv.path, "--steps", "3", "--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["forecast"])
        let values = try #require(object["forecast"] as? [Double])
        #expect(values.count == 3 && zip(values, lines).allSatisfy { abs($0 - $1!) <= 1e-9 * max(1, abs($0)) })
        let forecastPlot = folder + "/forecast.svg"
        let plotted = try charrnn(["forecast", "--model", model, "--csv", csv.path, "--steps", "3", "--plot", forecastPlot])
        #expect(plotted.status == 0 && plotted.stdout == text.stdout, "\(plotted.stderr)")
        let forecastSVG = try String(contentsOfFile: forecastPlot, encoding: .utf8)
        #expect(forecastSVG.contains("class=\"history\"") && forecastSVG.contains("class=\"forecast\"")
            && !forecastSVG.contains("class=\"held-out-truth\""))
        // The library gives the same continuation: feeding back its own predictions.
        let forecaster = try Forecaster(contentsOf: model)
        let history = try CSVTable(contentsOf: csv.path).numbers(column: "value", fill: .none, name: csv.path)
        let first = try forecaster.predict(after: history)
        let second = try forecaster.predict(after: history + first)
        #expect(abs(first[0] - values[0]) < 1e-9 && abs(second[0] - values[1]) < 1e-9)

        // eval --csv: the forecaster and both baselines on the held-out tail.
        let eval = try charrnn(["eval", "--model", model, "--csv", csv.path, "--format", "json"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        #expect(report["rows"] as? Int == 80 && report["first_held_out_row"] as? Int == 65 && report["values"] as? Int == 16)
        for key in ["forecaster", "last_value", "seasonal"] {
            let scores = try #require(report[key] as? [String: Double], "\(key) in \(eval.stdout)")
            #expect(scores["rmse"]! >= scores["mae"]! && scores["mae"]! > 0)
        }
        let info = try charrnn(["info", "--model", model])
        #expect(info.stdout.contains("task         forecaster") && info.stdout.contains("lookback 8, horizon 1, season 10"))
        let infoJSON = try charrnn(["info", "--model", model, "--format", "json"])
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(infoJSON.stdout.utf8)) as? [String: Any])
        #expect((summary["forecast"] as? [String: Any])?["column"] as? String == "value")
        let table = try charrnn(["eval", "--model", model, "--csv", csv.path])
        #expect(table.stdout.contains("forecaster") && table.stdout.contains("last value") && table.stdout.contains("season ago (10)"))
    }

    @Test func wrongModelsAndBrokenWeightsAreOneLineErrors() throws {
        let csv = try TemporaryFile(Self.series(rows: 30))
        let folder = (csv.path as NSString).deletingLastPathComponent
        let settings = ForecastSettings(column: "value", lookback: 5, horizon: 2, season: nil, scaleMean: 10, scaleStd: 2,
                                        heldOutFraction: 0.2, fill: "none")
        let metadata = try ModelMetadata(task: .forecaster, cell: .gru, hiddenSize: 3, numLayers: 1, vocab: [],
                                         forecast: settings)
        var rng = SeededGenerator(seed: 1)
        let network = RecurrentNetwork(shape: ModelFile.shape(of: metadata), rng: &rng)
        for entry in network.layout.entries {  // every weight the largest float: the predictions overflow
            entry.write([Float](repeating: .greatestFiniteMagnitude, count: entry.count), to: network.parameters)
        }
        let broken = folder + "/broken.safetensors"
        try ModelFile(network: network, metadata: metadata).write(to: broken)
        Self.expectOneLineError(try charrnn(["forecast", "--model", broken, "--csv", csv.path, "--steps", "2"]),
                                ["not finite numbers"])
        Self.expectOneLineError(try charrnn(["eval", "--model", broken, "--csv", csv.path]), ["not finite numbers"])
        Self.expectOneLineError(try charrnn(["generate", "--model", broken, "--length", "3"]), ["forecaster"])
        let languageModel = packageRoot + "/Models/kjv.safetensors"
        Self.expectOneLineError(try charrnn(["forecast", "--model", languageModel, "--csv", csv.path, "--steps", "2"]),
                                ["forecasting needs one from train-forecaster"])
        Self.expectOneLineError(try charrnn(["eval", "--model", languageModel, "--csv", csv.path]), ["needs a forecaster"])
    }

    /// The shipped CO₂ forecaster (`--predict-change`, monthly, `--fill previous`) beats both
    /// baselines by the margins Models/README.md gives.
    @Test func shippedCO2ForecasterBeatsBothBaselines() throws {
        let run = try charrnn(["eval", "--model", packageRoot + "/Models/co2-forecaster.safetensors", "--fill", "previous",
                               "--csv", packageRoot + "/Corpora/series/co2-monthly.csv", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let model = try #require(report["forecaster"] as? [String: Double])
        let last = try #require(report["last_value"] as? [String: Double])
        let seasonal = try #require(report["seasonal"] as? [String: Double])
        #expect(model["rmse"]! < last["rmse"]! && model["rmse"]! < seasonal["rmse"]! && model["mae"]! < last["mae"]!)
        #expect(abs(model["rmse"]! - 0.8331) < 0.001 && abs(model["mae"]! - 0.7018) < 0.001, "\(model)")
        #expect(abs(last["rmse"]! - 1.2684) < 0.0001 && abs(seasonal["rmse"]! - 1.7951) < 0.0001)
    }

    /// The shipped forecaster's held-out scores are those Models/README.md gives, and it beats
    /// both baselines there.
    @Test func shippedForecasterBeatsBothBaselines() throws {
        let run = try charrnn(["eval", "--model", packageRoot + "/Models/sunspots-forecaster.safetensors",
                               "--csv", packageRoot + "/Corpora/series/sunspots.csv", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let model = try #require(report["forecaster"] as? [String: Double])
        let last = try #require(report["last_value"] as? [String: Double])
        let seasonal = try #require(report["seasonal"] as? [String: Double])
        #expect(model["rmse"]! < last["rmse"]! && model["rmse"]! < seasonal["rmse"]!)
        #expect(model["mae"]! < last["mae"]! && model["mae"]! < seasonal["mae"]!)
        // As Models/README.md gives them (Float32 sums in another order move them far less).
        #expect(abs(model["rmse"]! - 19.648) < 0.01 && abs(model["mae"]! - 14.610) < 0.01, "\(model)")
        #expect(abs(last["rmse"]! - 33.276) < 0.001 && abs(seasonal["rmse"]! - 37.861) < 0.001)
    }
}
