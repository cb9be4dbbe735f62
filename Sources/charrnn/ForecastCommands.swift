// MARK: - charrnn train-forecaster and forecast: a numeric series from a CSV column

import ArgumentParser
import CharRNN
import Foundation

/// What to do with empty or non-numeric cells, as the command line names it.
extension MissingValues: ExpressibleByArgument {}

/// The column of a CSV file as numbers.
func readSeries(csv: String, column: String, fill: MissingValues) throws -> [Double] {
    try CSVTable(contentsOf: csv).numbers(column: column, fill: fill, name: csv)
}

/// A number for people: up to 6 significant digits.
func seriesNumber(_ x: Double) -> String { String(format: "%.6g", x) }

/// Writes an SVG document to `path`.
func writePlot(_ svg: String, to path: String) throws {
    do { try Data(svg.utf8).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
        throw CharRNNError("cannot write --plot \(path): \(error.localizedDescription)", option: "plot")
    }
}

struct TrainForecaster: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-forecaster",
        abstract: "Train a forecaster of a numeric series (one column of a CSV file).",
        discussion: """
            The Keras article's model: a recurrent network (Elman's tanh RNN of 64 units by \
            default) reads a window of --lookback values and a linear head predicts the next \
            --horizon values; mean squared error, Adam. The last --held-out share of the rows is \
            held out (a chronological cut: no training window reaches past it), the values are \
            scaled by the mean and standard deviation of the rows before the cut, and the \
            weights after the last epoch are kept (the held-out error is printed after every \
            tenth epoch but chooses nothing, so the tail stays an honest test). \
            --season N (12 for monthly data with a yearly cycle) is stored for the seasonal \
            baseline of `charrnn eval`.
            """
    )

    @Option(help: "The CSV file: a header row, then one row per time step, oldest first.")
    var csv: String

    @Option(help: "The column to forecast (its name in the header).")
    var column: String

    @Option(help: "The model file to write (.safetensors).")
    var out: String

    @Option(help: "Past values read for one prediction.")
    var lookback = 24

    @Option(help: "Values predicted at once.")
    var horizon = 1

    @Option(help: "The period of the seasonal baseline (12: monthly data, a yearly cycle).")
    var season: Int?

    @Option(help: "The recurrent cell: rnn (Elman, tanh), lstm or gru.")
    var cell: CellOption = .rnn

    @Option(help: "Hidden units per layer.")
    var hidden = 64

    @Option(help: "Stacked recurrent layers.")
    var layers = 1

    @Option(help: "Empty or non-numeric cells: none (an error naming the line) or previous (the value above).")
    var fill: MissingValues = .none

    @Flag(name: .customLong("predict-change"),
          help: "Predict the change from the window's last value, not the value (a series with a trend).")
    var predictChange = false

    @Option(name: .customLong("held-out"), help: "The share of the rows, at the end, held out.")
    var heldOut = 0.2

    @Option(help: "Passes over the training windows.")
    var epochs = 100

    @Option(name: .customLong("batch-size"), help: "Windows per update.")
    var batchSize = 32

    @Option(name: .customLong("lr"), help: "Adam's learning rate.")
    var learningRate: Float = 1e-3

    @Option(name: .customLong("rng-seed"), help: "Seed of the initial weights and of the shuffle.")
    var rngSeed: UInt64 = 0

    @Option(help: "Threads a batch is split across.")
    var threads = 1

    @Option(name: .customLong("plot"), help: "Also write an SVG of the history, the held-out truth and the model's predictions.")
    var plot: String?

    func run() throws {
        var c = ForecasterConfiguration()
        c.lookback = lookback
        c.horizon = horizon
        c.season = season
        c.cell = cell.kind
        c.hiddenSize = hidden
        c.layers = layers
        c.fill = fill
        c.predictChange = predictChange
        c.heldOut = heldOut
        c.epochs = epochs
        c.batchSize = batchSize
        c.learningRate = learningRate
        c.seed = rngSeed
        c.threads = threads
        try c.validate()
        try checkOutputs([OutputFile(out, option: "--out")] + (plot.map { [OutputFile($0, option: "--plot")] } ?? []),
                         inputs: [(csv, "--csv")])
        let lock = try OutputLock(for: out)
        defer { lock.release() }
        let series = try readSeries(csv: csv, column: column, fill: fill)
        printNote("\(csv): \(grouped(series.count)) values of \(String(reflecting: column)); "
            + "\(c.cell.rawValue), \(c.layers) layer(s) of \(c.hiddenSize); lookback \(c.lookback), horizon \(c.horizon)")
        catchStopSignals()
        var epoch = 0
        let (forecaster, outcome) = try Forecaster.train(series: series, column: column, configuration: c, cancel: stopToken) { event in
            guard case .validated(_, let loss, _) = event else { return }
            epoch += 1
            if epoch % 10 == 0 || epoch == c.epochs || epoch == 1 {
                printNote(String(format: "epoch %d: held-out MSE %.5f (scaled)", epoch, loss))
            }
        }
        if case .diverged(let step) = outcome {
            throw CharRNNError("the loss became NaN or infinite at step \(step); lower --lr and train again")
        }
        try forecaster.save(to: out)
        let evaluation = try forecaster.evaluate(series: series)
        printNote("wrote \(out) (\(outcome.phrase)); held-out RMSE \(seriesNumber(evaluation.model.rmse)), "
            + "last value \(seriesNumber(evaluation.lastValue.rmse))"
            + (evaluation.seasonal.map { ", seasonal \(seriesNumber($0.rmse))" } ?? ""))
        if let plot { try writePlot(evaluation.plotSVG(series: series, column: column), to: plot) }
        if outcome == .cancelled { throw ExitCode(stopStatus) }
    }
}

struct Forecast: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue a series past the last row of a CSV file with a forecaster.",
        discussion: """
            The forecaster reads the last --lookback values of the column and predicts the next \
            ones, feeding its own predictions back as the newest values of its window, until \
            --steps values are made. They are printed one per line in the series' own units, or \
            as {"forecast": [v1, …, vN]} with --format json.
            """
    )

    @Option(help: "The forecaster (.safetensors, from train-forecaster).")
    var model: String

    @Option(help: "The CSV file whose column is continued.")
    var csv: String

    @Option(help: "The column (default: the one the model was trained on).")
    var column: String?

    @Option(help: "Values to forecast after the last row.")
    var steps: Int

    @Option(help: "Empty or non-numeric cells: none (an error naming the line) or previous (the value above).")
    var fill: MissingValues = .none

    @Option(help: "Output: text (one value per line) or json.")
    var format: ReportFormat = .text

    @Option(help: "Also write an SVG of the history and the forecast.")
    var plot: String?

    func validate() throws {
        if !(1...1_000_000).contains(steps) { throw CharRNNError(option: "steps", "must be in 1...1000000 (got \(steps))") }
    }

    func run() throws {
        if let plot { try checkOutputs([OutputFile(plot, option: "--plot")], inputs: [(csv, "--csv"), (model, "--model")]) }
        let forecaster = try Forecaster(contentsOf: model)
        let name = column ?? forecaster.settings.column
        let series = try readSeries(csv: csv, column: name, fill: fill)
        let values = try forecaster.forecast(history: series, steps: steps)
        if let plot {
            try writePlot(seriesPlotSVG(history: series, heldOut: [], forecast: values, forecastStart: series.count,
                                        title: "\(name): \(steps) values forecast after row \(series.count)", unit: name), to: plot)
        }
        if format == .json {
            printJSON(["forecast": values])
        } else {
            printOut(values.map { "\($0)" }.joined(separator: "\n") + "\n")
        }
    }
}

extension Eval {
    /// `eval --csv`: a forecaster's held-out RMSE and MAE beside the two baselines.
    func evaluateForecaster(_ file: ModelFile, csv: String) throws {
        guard file.metadata.task == .forecaster else {
            throw CharRNNError("\(model): a \(file.metadata.task.rawValue) model; eval --csv needs a forecaster")
        }
        if let plot { try checkOutputs([OutputFile(plot, option: "--plot")], inputs: [(csv, "--csv"), (model, "--model")]) }
        let forecaster = try Forecaster(file)
        let name = column ?? forecaster.settings.column
        let series = try readSeries(csv: csv, column: name, fill: fill)
        let e = try forecaster.evaluate(series: series)
        if let plot { try writePlot(e.plotSVG(series: series, column: name), to: plot) }
        if format == .json {
            printJSON(e.document(model: model, column: name, rows: series.count))
            return
        }
        let s = forecaster.settings
        var lines = ["\(csv), column \(String(reflecting: name)): rows \(e.cut + 1)–\(series.count) held out; "
            + "\(grouped(e.count)) values scored (horizon \(s.horizon))",
                     "                        RMSE          MAE"]
        func row(_ label: String, _ scores: ErrorScores) -> String {
            label.padding(toLength: 18, withPad: " ", startingAt: 0)
                + [scores.rmse, scores.mae].map { String(repeating: " ", count: max(0, 12 - seriesNumber($0).count)) + seriesNumber($0) }
                    .joined(separator: " ")
        }
        lines.append(row("forecaster", e.model))
        lines.append(row("last value", e.lastValue))
        if let seasonal = e.seasonal, let season = s.season { lines.append(row("season ago (\(season))", seasonal)) }
        printOut(lines.joined(separator: "\n") + "\n")
    }
}
