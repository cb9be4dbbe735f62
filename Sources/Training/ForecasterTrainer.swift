// MARK: - Training a forecaster: windows of a scaled series, shuffled within the training part, MSE

import Model
import Tensor

/// Windows over a (scaled) series: window i reads `lookback` values from `starts[i]` and is
/// scored on the `horizon` values after them (less the window's last value, when `relative`).
public struct SeriesWindows: Sendable {
    /// The whole series, scaled; windows read it by index.
    public let values: [Float]
    public let lookback: Int, horizon: Int
    /// The first index of each window's input.
    public let starts: [Int]
    /// Whether the targets are changes from each window's last value.
    public let relative: Bool

    public init(values: [Float], lookback: Int, horizon: Int, starts: [Int], relative: Bool = false) {
        precondition(lookback >= 1 && horizon >= 1, "lookback and horizon must be at least 1")
        precondition(starts.allSatisfy { $0 >= 0 && $0 + lookback + horizon <= values.count }, "a window past the series")
        self.values = values
        self.lookback = lookback
        self.horizon = horizon
        self.starts = starts
        self.relative = relative
    }

    public var count: Int { starts.count }

    /// The chronological split of a series of `count` values: the last `heldOut` share of the
    /// values (at least one when the share is above 0) is held out. The training windows lie
    /// wholly before the cut (inputs and targets); a held-out window's targets lie wholly at or
    /// after it (its inputs may reach back before it: that history is known). No window's
    /// targets straddle the cut.
    ///
    /// - Returns: the cut (the first held-out index) and the start of each window of each part.
    public static func chronologicalSplit(count: Int, lookback: Int, horizon: Int, heldOut: Double)
        -> (cut: Int, train: [Int], heldOut: [Int])
    {
        let held = heldOut > 0 ? max(1, Int((Double(count) * heldOut).rounded())) : 0
        let cut = count - min(held, count)
        let train = cut - lookback - horizon >= 0 ? Array(0...(cut - lookback - horizon)) : []
        let lastStart = count - lookback - horizon
        let firstHeld = max(0, cut - lookback)
        let heldStarts = held > 0 && lastStart >= firstHeld ? Array(firstHeld...lastStart) : []
        return (cut, train, heldStarts)
    }

    /// The inputs of some windows as one batch: T × B × 1, time-major.
    public func inputs(_ windows: [Int]) -> [Float] {
        let b = windows.count
        var inputs = [Float](repeating: 0, count: lookback * b)
        for (s, w) in windows.enumerated() {
            for t in 0..<lookback { inputs[t * b + s] = values[starts[w] + t] }
        }
        return inputs
    }

    /// The targets of some windows: B × horizon (changes from the window's last value, when
    /// `relative`).
    public func targets(_ windows: [Int]) -> [Float] {
        windows.flatMap { w in
            let last = relative ? values[starts[w] + lookback - 1] : 0
            return values[(starts[w] + lookback)..<(starts[w] + lookback + horizon)].map { $0 - last }
        }
    }
}

/// Trains a `RecurrentNetwork` with dense inputs (`NetworkShape.denseInput`) as a forecaster:
/// shuffled mini-batches of the training windows, mean squared error (PyTorch's `nn.MSELoss()`,
/// Keras's `"mse"`), the updates of `settings.optimizer` (Adam by default).
public final class ForecasterTrainer: TrainingObjective {
    public let network: RecurrentNetwork
    public let data: SeriesWindows
    /// The windows `validationLoss()` scores (may be empty).
    public let heldOut: SeriesWindows
    public let settings: TrainingSettings
    let stepper: ExampleStepper
    let scoring: WorkspaceCache

    public init(network: RecurrentNetwork, data: SeriesWindows, heldOut: SeriesWindows, settings: TrainingSettings) {
        precondition(network.shape.denseInput && network.shape.inputSize == 1 && network.shape.outputSize == data.horizon,
                     "a forecaster's network reads one value per step and predicts `horizon` values")
        self.network = network
        self.data = data
        self.heldOut = heldOut
        self.settings = settings
        stepper = ExampleStepper(network: network, examples: data.count, settings: settings)
        scoring = WorkspaceCache(shape: network.shape)
    }

    public var optimizer: Optimizer { stepper.optimizer }
    public var scheduledLearningRate: Float { settings.schedule.rate(settings.optimizer.learningRate, step: optimizer.step) }
    public var stepsPerEpoch: Int { stepper.stepsPerEpoch }

    /// One update on the next mini-batch of windows; returns the mean squared error per
    /// predicted value (in scaled units) and the number of windows.
    public func trainStep(rateScale: Float) throws(TrainingError) -> (loss: Double, tokens: Int) {
        let batch = stepper.nextBatch()
        let values = Double(batch.count * data.horizon)
        let scale = 1 / Float(values)
        let network = self.network, data = self.data
        let loss = try stepper.update(batch, count: values, rateScale: rateScale) { share, gradients, dropout, cache in
            guard !share.isEmpty else { return 0 }
            let workspace = cache.workspace(batch: share.count, steps: data.lookback)
            return workspace.regressionLoss(network, inputs: data.inputs(share), targets: data.targets(share),
                                            gradients: gradients, lossScale: scale, dropout: dropout).loss
        }
        return (loss, batch.count)
    }

    /// The mean squared error per value over the held-out windows (scaled units), or nil when
    /// none is held out.
    public func validationLoss() -> Double? {
        guard heldOut.count > 0 else { return nil }
        return Self.meanSquaredError(network, heldOut, cache: scoring)
    }

    /// The mean squared error per value of a network's predictions over some windows.
    static func meanSquaredError(_ network: RecurrentNetwork, _ windows: SeriesWindows, cache: WorkspaceCache) -> Double {
        var sum = 0.0
        let chunk = scoringBatch(windows, hiddenSize: network.shape.hiddenSize)
        for first in stride(from: 0, to: windows.count, by: chunk) {
            let batch = Array(first..<min(first + chunk, windows.count))
            let workspace = cache.workspace(batch: batch.count, steps: windows.lookback)
            sum += workspace.regressionLoss(network, inputs: windows.inputs(batch), targets: windows.targets(batch),
                                            gradients: nil, lossScale: 1).loss
        }
        return sum / Double(windows.count * windows.horizon)
    }
}

/// Windows scored at once: up to 256, fewer when the windows are long, so that a batch's
/// hidden states stay within about 16 M floats per layer.
func scoringBatch(_ windows: SeriesWindows, hiddenSize: Int) -> Int {
    max(1, min(256, 16_777_216 / max(1, windows.lookback * hiddenSize)))
}

/// The predictions of a forecaster's network for each window of a part: `windows.count` ×
/// horizon values in scaled units, computed in batches of up to 256 windows.
public func regressionPredictions(_ network: RecurrentNetwork, _ windows: SeriesWindows) -> [Float] {
    let cache = WorkspaceCache(shape: network.shape)
    var predictions: [Float] = []
    predictions.reserveCapacity(windows.count * windows.horizon)
    let chunk = scoringBatch(windows, hiddenSize: network.shape.hiddenSize)
    for first in stride(from: 0, to: windows.count, by: chunk) {
        let batch = Array(first..<min(first + chunk, windows.count))
        let workspace = cache.workspace(batch: batch.count, steps: windows.lookback)
        predictions += workspace.regressionLoss(network, inputs: windows.inputs(batch), targets: nil, gradients: nil,
                                                lossScale: 1).predictions
    }
    return predictions
}
