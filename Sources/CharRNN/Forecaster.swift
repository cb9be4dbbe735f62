// MARK: - Forecasting a numeric series: train, load, save, forecast, evaluate against the baselines
//
// The model of the Keras articles — SimpleRNN(64, tanh) then Dense(1), MSE, Adam — as a charrnn
// network with real-valued inputs (`NetworkShape.denseInput`): the series is scaled by the mean
// and standard deviation of its training part, cut into windows of `lookback` values, and each
// window's top-layer final state goes through a linear head to the next `horizon` values.

import Foundation
import Model
import Tensor
import Training

/// How to train a forecaster; every default is the article's model or a conventional choice.
public struct ForecasterConfiguration: Codable, Equatable, Sendable {
    /// Past values the network reads for one prediction.
    public var lookback = 24
    /// Values predicted at once (the head's outputs).
    public var horizon = 1
    /// The period of the seasonal baseline (12 for monthly data with a yearly cycle), if any.
    public var season: Int? = nil
    /// The recurrent cell (Elman's tanh RNN, as Keras's SimpleRNN).
    public var cell = CellKind.rnnTanh
    /// Hidden units per layer (the article's 64).
    public var hiddenSize = 64
    /// Stacked layers.
    public var layers = 1
    /// The share of the series, at its end, held out (never trained on).
    public var heldOut = 0.2
    /// Passes over the training windows.
    public var epochs = 100
    /// Windows per update.
    public var batchSize = 32
    /// Adam's learning rate (Keras's default).
    public var learningRate: Float = 1e-3
    /// Seed of the initial weights and of the shuffle of the training windows.
    public var seed: UInt64 = 0
    /// Threads a batch is split across.
    public var threads = 1
    /// What to do with empty or non-numeric cells.
    public var fill = MissingValues.none
    /// Predict the change from the window's last value instead of the value itself (for a
    /// series with a trend that leaves the training part's range).
    public var predictChange = false

    public init() {}

    /// Checks each setting's range.
    ///
    /// - Throws: ``CharRNNError`` naming the option.
    public func validate() throws {
        for (value, option, limit) in [(lookback, "lookback", ForecastSettings.maxLookback),
                                       (horizon, "horizon", ForecastSettings.maxHorizon), (hiddenSize, "hidden", 65_536),
                                       (layers, "layers", 64), (epochs, "epochs", 1_000_000), (batchSize, "batch-size", 1_000_000),
                                       (threads, "threads", 1024)] where !(1...limit).contains(value)
        {
            throw CharRNNError(option: option, "must be in 1...\(limit) (got \(value))")
        }
        if let season, !(1...ForecastSettings.maxLookback).contains(season) {
            throw CharRNNError(option: "season", "must be in 1...\(ForecastSettings.maxLookback) (got \(season))")
        }
        if !(heldOut > 0 && heldOut < 1) { throw CharRNNError(option: "held-out", "must be in (0, 1) (got \(heldOut))") }
        if !(learningRate > 0 && learningRate.isFinite) { throw CharRNNError(option: "lr", "must be above 0") }
        if ![CellKind.rnnTanh, .lstm, .gru].contains(cell) {
            throw CharRNNError(option: "cell", "\(cell.rawValue) cannot read real-valued inputs; use rnn, lstm or gru")
        }
    }
}

/// Root-mean-square and mean absolute error of some predictions, in the series' units.
public struct ErrorScores: Codable, Equatable, Sendable {
    public var rmse: Double
    public var mae: Double

    /// The scores of `predictions` against `truth` (same length, at least one).
    public init(predictions: [Double], truth: [Double]) {
        precondition(predictions.count == truth.count && !truth.isEmpty, "one prediction per true value")
        var squares = 0.0, absolutes = 0.0
        for (p, t) in zip(predictions, truth) {
            squares += (p - t) * (p - t)
            absolutes += abs(p - t)
        }
        rmse = (squares / Double(truth.count)).squareRoot()
        mae = absolutes / Double(truth.count)
    }
}

/// A forecaster's scores on the held-out tail of a series, beside the two baselines every
/// forecaster must beat to be worth running.
public struct ForecastEvaluation: Codable, Equatable, Sendable {
    /// The first held-out row (0-based, in the series) and the values scored (windows × horizon).
    public var cut: Int
    public var count: Int
    /// The network's predictions.
    public var model: ErrorScores
    /// The last value of each window, repeated over the horizon.
    public var lastValue: ErrorScores
    /// The value one season before each target (the latest one known at the window's end),
    /// when the model has a season.
    public var seasonal: ErrorScores?
    /// For a plot: each held-out window's first prediction and its true value, the first of
    /// them at row `predictionsStart` of the series.
    public var predictions: [Double]
    public var truth: [Double]
    public var predictionsStart: Int
}

/// A trained forecaster: the network and its `forecast` metadata.
public final class Forecaster: @unchecked Sendable {
    public let network: RecurrentNetwork
    public let metadata: ModelMetadata
    /// Window, horizon, season, column, scaling.
    public var settings: ForecastSettings { metadata.forecast! }

    /// A forecaster from a model file.
    ///
    /// - Throws: ``CharRNNError`` when the file holds another kind of model.
    public init(_ file: ModelFile) throws {
        guard file.metadata.task == .forecaster, file.metadata.forecast != nil else {
            throw CharRNNError("a \(file.metadata.task.rawValue) model; forecasting needs one from train-forecaster")
        }
        network = file.network
        metadata = file.metadata
    }

    /// Reads a forecaster's model file.
    ///
    /// - Throws: ``ModelFileError`` when the file is unreadable or invalid; ``CharRNNError``
    ///   when it holds another kind of model.
    public convenience init(contentsOf path: String) throws {
        let file = try ModelFile(contentsOf: path)
        do { try self.init(file) } catch let error as CharRNNError { throw CharRNNError("\(path): \(error)") }
    }

    /// Writes the model to `path` atomically.
    public func save(to path: String) throws {
        try ModelFile(network: network, metadata: metadata).write(to: path)
    }

    func scaled(_ values: [Double]) -> [Float] {
        values.map { Float(($0 - settings.scaleMean) / settings.scaleStd) }
    }

    func unscaled(_ value: Float) -> Double { Double(value) * settings.scaleStd + settings.scaleMean }

    /// The next `horizon` values after a window of the last `lookback` values.
    ///
    /// - Parameter window: at least `lookback` values; only the last `lookback` are read.
    /// - Throws: ``CharRNNError`` when a prediction is not a finite number (a broken model).
    public func predict(after window: [Double]) throws -> [Double] {
        try predict(after: window, workspace: Workspace(shape: network.shape, batch: 1, steps: settings.lookback))
    }

    func predict(after window: [Double], workspace: Workspace) throws -> [Double] {
        precondition(window.count >= settings.lookback, "a window shorter than the lookback")
        let inputs = scaled(Array(window.suffix(settings.lookback)))
        let base = settings.predictsChange ? inputs[inputs.count - 1] : 0
        let values = workspace.regressionLoss(network, inputs: inputs, targets: nil, gradients: nil, lossScale: 1)
            .predictions.map { unscaled($0 + base) }
        try Self.checkFinite(values)
        return values
    }

    static func checkFinite(_ values: [Double]) throws {
        guard values.allSatisfy(\.isFinite) else {
            throw CharRNNError("the forecaster's predictions are not finite numbers (NaN or infinite): the model is broken")
        }
    }

    /// Continues a series `steps` values past its end, feeding the forecaster's own predictions
    /// back as the newest values of the window (`horizon` at a time).
    ///
    /// - Throws: ``CharRNNError`` when the history is shorter than the lookback.
    public func forecast(history: [Double], steps: Int) throws -> [Double] {
        guard history.count >= settings.lookback else {
            throw CharRNNError("the series has \(history.count) values; this forecaster reads windows of "
                + "\(settings.lookback) (its lookback), so it needs at least that many")
        }
        guard steps >= 0 else { throw CharRNNError(option: "steps", "must be 0 or more") }
        var window = Array(history.suffix(settings.lookback)), result: [Double] = []
        let workspace = Workspace(shape: network.shape, batch: 1, steps: settings.lookback)
        while result.count < steps {
            let next = try predict(after: window, workspace: workspace)
            result += next.prefix(steps - result.count)
            window = Array((window + next).suffix(settings.lookback))
        }
        return result
    }

    /// The held-out tail of a series (the last `held_out_fraction` the model was trained with),
    /// scored against the last-value and seasonal baselines, in the series' units.
    ///
    /// - Throws: ``CharRNNError`` when the series is too short to hold out a window.
    public func evaluate(series: [Double]) throws -> ForecastEvaluation {
        let s = settings, (lookback, horizon) = (s.lookback, s.horizon)
        let split = SeriesWindows.chronologicalSplit(count: series.count, lookback: lookback, horizon: horizon,
                                                     heldOut: s.heldOutFraction)
        guard !split.heldOut.isEmpty else {
            throw CharRNNError("the series has \(series.count) values, too few to hold out a window of \(lookback) + "
                + "\(horizon) after its cut")
        }
        let windows = SeriesWindows(values: scaled(series), lookback: lookback, horizon: horizon, starts: split.heldOut)
        let outputs = regressionPredictions(network, windows)
        let predicted = outputs.indices.map { i in
            unscaled(outputs[i] + (s.predictsChange ? windows.values[split.heldOut[i / horizon] + lookback - 1] : 0))
        }
        try Self.checkFinite(predicted)
        var truth: [Double] = [], last: [Double] = [], seasonal: [Double] = []
        for start in split.heldOut {
            let known = start + lookback - 1  // the window's last value
            for j in 0..<horizon {
                let target = known + 1 + j
                truth.append(series[target])
                last.append(series[known])
                if let season = s.season {
                    var back = target - season
                    while back > known { back -= season }
                    seasonal.append(series[max(back, 0)])
                }
            }
        }
        let firsts = stride(from: 0, to: predicted.count, by: horizon).map { predicted[$0] }
        let firstTruth = stride(from: 0, to: truth.count, by: horizon).map { truth[$0] }
        return ForecastEvaluation(
            cut: split.cut, count: truth.count, model: ErrorScores(predictions: predicted, truth: truth),
            lastValue: ErrorScores(predictions: last, truth: truth),
            seasonal: s.season == nil ? nil : ErrorScores(predictions: seasonal, truth: truth),
            predictions: firsts, truth: firstTruth, predictionsStart: split.heldOut[0] + lookback)
    }

    // MARK: - Training

    /// Trains a forecaster on a series: the chronological split, scaling by the training part's
    /// mean and standard deviation, shuffled windows of the training part, MSE, Adam, for
    /// `epochs` passes. The held-out error is measured after each epoch and reported in
    /// `events`, but decides nothing (no best-epoch choice, no early stop): the held-out tail
    /// stays an honest test of the final weights.
    ///
    /// - Parameters:
    ///   - series: the values, oldest first.
    ///   - column: the column's name, stored in the model.
    ///   - configuration: the settings.
    ///   - cancel: stops the run early (the weights so far are kept).
    ///   - events: the training loop's events (steps, validations).
    /// - Returns: the forecaster and the loop's outcome.
    /// - Throws: ``CharRNNError`` for bad settings or a series too short to split.
    public static func train(series: [Double], column: String, configuration c: ForecasterConfiguration,
                             cancel: CancellationToken = CancellationToken(),
                             events: (TrainingEvent) throws -> Void = { _ in }) throws -> (Forecaster, TrainingOutcome)
    {
        try c.validate()
        let split = SeriesWindows.chronologicalSplit(count: series.count, lookback: c.lookback, horizon: c.horizon,
                                                     heldOut: c.heldOut)
        guard !split.train.isEmpty, !split.heldOut.isEmpty else {
            throw CharRNNError("the series has \(series.count) values: too few for windows of \(c.lookback) + \(c.horizon) "
                + "both before and after the held-out cut (\(c.heldOut)); use a longer series or a smaller --lookback")
        }
        let (mean, std) = trainingStatistics(series, cut: split.cut)
        let settings = ForecastSettings(column: column, lookback: c.lookback, horizon: c.horizon, season: c.season,
                                        scaleMean: mean, scaleStd: std, heldOutFraction: c.heldOut, fill: c.fill.rawValue,
                                        target: c.predictChange ? "change" : nil)
        let metadataWithoutTraining = try ModelMetadata(task: .forecaster, cell: c.cell, hiddenSize: c.hiddenSize,
                                                        numLayers: c.layers, vocab: [], forecast: settings)
        let shape = settings.shape(of: metadataWithoutTraining)
        try MemoryNeed.training(shape, batch: c.batchSize, steps: c.lookback, threads: c.threads)
            .check(what: "training a forecaster of \(c.layers) layer(s) of \(c.hiddenSize) units, \(c.batchSize) windows × "
                + "\(c.lookback) values per batch,", advice: "lower --hidden, --batch-size or --lookback")
        var rng = SeededGenerator(seed: c.seed)
        let network = RecurrentNetwork(shape: shape, rng: &rng)
        let values = series.map { Float(($0 - mean) / std) }
        var trainingSettings = TrainingSettings()
        trainingSettings.batchSize = c.batchSize
        trainingSettings.optimizer = OptimizerSettings(kind: .adam, learningRate: c.learningRate)
        trainingSettings.seed = c.seed
        trainingSettings.threads = c.threads
        let trainer = ForecasterTrainer(
            network: network,
            data: SeriesWindows(values: values, lookback: c.lookback, horizon: c.horizon, starts: split.train,
                                relative: c.predictChange),
            heldOut: SeriesWindows(values: values, lookback: c.lookback, horizon: c.horizon, starts: split.heldOut,
                                   relative: c.predictChange),
            settings: trainingSettings)
        let rules = StoppingRules(epochs: c.epochs, validateEvery: trainer.stepsPerEpoch)
        let loop = TrainingLoop(objective: trainer, rules: rules)
        let outcome = try loop.run(cancel: cancel, events: events)
        var metadata = metadataWithoutTraining
        metadata.training = [
            "rows": .number(Double(series.count)), "held_out_rows": .number(Double(series.count - split.cut)),
            "epochs": .number(Double(c.epochs)), "batch_size": .number(Double(c.batchSize)),
            "learning_rate": .number(Double(c.learningRate)), "seed": .number(Double(c.seed)),
            "steps": .number(Double(loop.step)),
            "held_out_mse_scaled": loop.state.history.last?.validationLoss.map { .number($0) } ?? .null,
        ]
        return (Forecaster(network: network, metadata: metadata), outcome)
    }

    /// The mean and (population) standard deviation of the values before `cut`; a constant
    /// training part has a standard deviation of 1, so scaling only shifts it.
    public static func trainingStatistics(_ series: [Double], cut: Int) -> (mean: Double, std: Double) {
        let part = series.prefix(cut)
        let mean = part.reduce(0, +) / Double(max(part.count, 1))
        let variance = part.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(part.count, 1))
        let std = variance.squareRoot()
        return (mean, std > 0 && std.isFinite ? std : 1)
    }

    init(network: RecurrentNetwork, metadata: ModelMetadata) {
        self.network = network
        self.metadata = metadata
    }
}
