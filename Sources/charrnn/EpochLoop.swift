// MARK: - The epoch loop of the name models: held-out loss each epoch, early stopping

import ArgumentParser
import Foundation
import Model
import Training

/// The options train-classifier and train-generator share: data, model size, training.
struct NameModelOptions: ParsableArguments {
    @Option(help: "A folder of <Category>.txt files, one name per line.")
    var data: String

    @Option(help: "Where to write the best model (a .safetensors file).")
    var out: String

    @Option(help: "The recurrent cell: rnn (Elman, tanh), lstm or gru. (default: gru for train-classifier, rnn for train-generator)")
    var cell: CellOption?

    @Option(help: "Hidden units per layer.")
    var hidden = 128

    @Option(help: "Stacked recurrent layers.")
    var layers = 1

    @Option(help: "Dropout between stacked layers during training, 0 to 1.")
    var dropout: Float = 0

    @Option(help: "Most passes over the training names.")
    var epochs = 30

    @Option(help: "Stop after this many epochs without a better held-out loss.")
    var patience = 4

    @Option(name: .customLong("max-time"), help: "Stop after this many seconds, keeping the best model.")
    var maxTime: Double?

    @Option(name: .customLong("lr-decay"),
            help: "Multiply the learning rate by this after each epoch without a better held-out loss (1: never).")
    var lrDecay: Float = 0.5

    @Option(name: .customLong("batch-size"), help: "Names per batch.")
    var batchSize = 32

    @Option(help: "Learning rate.")
    var lr: Float = 2e-3

    @Option(name: .customLong("val-fraction"), help: "Share of each category's names held out.")
    var valFraction = 0.1

    @Option(name: .customLong("min-count"), help: "Letters seen fewer times become the unknown token (1: keep every letter of the folder).")
    var minCount = 1

    @Option(help: "Random seed (weights, split, order).")
    var seed: UInt64 = 0

    @Option(help: "Threads to split each batch across (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Output: text, or json (one summary document).")
    var format: ReportFormat = .text

    func validate() throws {
        for (name, value) in [("--hidden", hidden), ("--layers", layers), ("--epochs", epochs), ("--patience", patience),
                              ("--batch-size", batchSize), ("--threads", threads), ("--min-count", minCount)] where value < 1 {
            throw ValidationError("\(name) must be at least 1")
        }
        if !(valFraction > 0 && valFraction < 1) { throw ValidationError("--val-fraction must be in (0, 1)") }
        if !(lr > 0) { throw ValidationError("--lr must be positive") }
        if !(lrDecay > 0 && lrDecay <= 1) { throw ValidationError("--lr-decay must be in (0, 1]") }
        if !(dropout >= 0 && dropout < 1) { throw ValidationError("--dropout must be in [0, 1)") }
    }

    /// Lowers `scale` by --lr-decay; a note saying so, or nil when --lr-decay is 1.
    func decayed(_ scale: inout Float) -> String? {
        guard lrDecay < 1 else { return nil }
        scale *= lrDecay
        return "no better held-out loss: learning rate now \(lr * scale)"
    }

    /// Batch, threads, seed, dropout and Adam at --lr.
    var trainingSettings: TrainingSettings {
        var settings = TrainingSettings()
        settings.batchSize = batchSize
        settings.threads = threads
        settings.seed = seed
        settings.dropout = dropout
        settings.optimizer = OptimizerSettings(kind: .adam, learningRate: lr)
        return settings
    }

    /// The network's shape: --cell (the command's `defaultCell` when not given), --hidden, --layers.
    func shape(input: Int, output: Int, defaultCell: CellOption) throws -> NetworkShape {
        try checkDropout(dropout, layers: layers)
        return NetworkShape(inputSize: input, hiddenSize: hidden, layers: layers, outputSize: output,
                            cell: (cell ?? defaultCell).kind)
    }

    /// What the model's `training` record says of the settings beyond data, epochs and seed.
    var record: [String: JSONValue] { dropout > 0 ? ["dropout": .number(Double("\(dropout)") ?? 0)] : [:] }
}

/// How an epoch loop ended.
enum EpochOutcome: String {
    case finished = "finished"
    case earlyStop = "early stop"
    case timeLimit = "time limit"
    case interrupted = "interrupted"
}

/// Runs up to `epochs` epochs of `stepsPerEpoch` steps; after each, `evaluate` gives the
/// held-out loss and a line to print; `improved` is called (to save the model) whenever that
/// loss is the best so far. Stops after `patience` epochs without improvement, at `maxTime`
/// seconds, or on Ctrl-C / SIGTERM (between steps). After an epoch without improvement that does
/// not stop the loop, `plateau` is called (to lower the learning rate) and returns a note.
///
/// - Returns: how it ended and the best epoch (nil if no epoch finished).
func runEpochs(epochs: Int, stepsPerEpoch: Int, patience: Int, maxTime: Double?, started: Date,
               step: () throws -> Double, evaluate: () -> (loss: Double, summary: String),
               improved: (_ epoch: Int) throws -> Void, plateau: () -> String?) throws -> (outcome: EpochOutcome, bestEpoch: Int?)
{
    var best: (loss: Double, epoch: Int)?
    var stalled = 0
    for epoch in 1...epochs {
        var total = 0.0, steps = 0
        for _ in 0..<stepsPerEpoch {
            if stopSignal.load(ordering: .relaxed) != 0 { return (.interrupted, best?.epoch) }
            if let maxTime, Date().timeIntervalSince(started) >= maxTime { return (.timeLimit, best?.epoch) }
            total += try step()
            steps += 1
        }
        let (loss, summary) = evaluate()
        let better = best.map { loss < $0.loss } ?? true
        printNote(String(format: "epoch %d/%d: train loss %.4f, ", epoch, epochs, total / Double(max(steps, 1)))
            + summary + (better ? " (best)" : ""))
        if better {
            best = (loss, epoch)
            stalled = 0
            try improved(epoch)
        } else {
            stalled += 1
            if stalled >= patience { return (.earlyStop, best?.epoch) }
            if let note = plateau() { printNote(note) }
        }
    }
    return (.finished, best?.epoch)
}
