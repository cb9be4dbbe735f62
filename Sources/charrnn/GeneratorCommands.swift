// MARK: - charrnn train-generator: names by category

import ArgumentParser
import Foundation
import Model
import Tensor
import Tokenizer
import Training

/// The end-of-name token of name generators: a line break, since a name is one line. At the
/// start of a name it is also the start marker.
let endTokenString = "\n"

struct TrainGenerator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-generator",
        abstract: "Train a generator of names by category (language) on a folder of <Category>.txt files.",
        discussion: """
            The model reads [one-hot category ; one-hot letter] at each step, from a zero state: \
            first the end-of-name token (the start marker), then the name's letters, and learns to \
            predict each next letter and then the end token, so generated names end by themselves. \
            Letter case is kept. A stratified --val-fraction of the names is held out (the same \
            split for the same --seed as train-classifier); the held-out loss picks the best \
            epoch and stops training early. Score it with charrnn eval --data.
            """
    )

    @Option(help: "A folder of <Category>.txt files, one name per line.")
    var data: String

    @Option(help: "Where to write the best model (a .safetensors file).")
    var out: String

    @Option(help: "The recurrent cell: rnn. lstm and gru are not available yet.")
    var cell: CellOption = .rnn

    @Option(help: "Hidden units per layer.")
    var hidden = 128

    @Option(help: "Stacked recurrent layers.")
    var layers = 1

    @Option(help: "Most passes over the training names.")
    var epochs = 30

    @Option(help: "Stop after this many epochs without a better held-out loss.")
    var patience = 4

    @Option(name: .customLong("max-time"), help: "Stop after this many seconds, keeping the best model.")
    var maxTime: Double?

    @Option(name: .customLong("batch-size"), help: "Names per batch.")
    var batchSize = 32

    @Option(help: "Learning rate.")
    var lr: Float = 2e-3

    @Option(name: .customLong("val-fraction"), help: "Share of each category's names held out.")
    var valFraction = 0.1

    @Option(name: .customLong("min-count"), help: "Letters seen fewer times become the unknown token.")
    var minCount = 2

    @Option(help: "Random seed (weights, split, order).")
    var seed: UInt64 = 0

    @Option(help: "Threads to split each batch across (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Output: text, or json (one summary document).")
    var format: ReportFormat = .text

    func validate() throws {
        if cell != .rnn { throw ValidationError("--cell \(cell.rawValue) is not available yet; use --cell rnn") }
        for (name, value) in [("--hidden", hidden), ("--layers", layers), ("--epochs", epochs), ("--patience", patience),
                              ("--batch-size", batchSize), ("--threads", threads), ("--min-count", minCount)] where value < 1 {
            throw ValidationError("\(name) must be at least 1")
        }
        if !(valFraction > 0 && valFraction < 1) { throw ValidationError("--val-fraction must be in (0, 1)") }
        if !(lr > 0) { throw ValidationError("--lr must be positive") }
    }

    func run() throws {
        let started = Date()
        let folder = try NamesFolder(path: data, caseMapping: .preserve)
        let vocabulary = try Vocabulary(counts: folder.letterCounts, minCount: minCount, unknownToken: unknownTokenString,
                                        endToken: endTokenString)
        let all = folder.encoded(with: vocabulary)
        let (trainIndices, heldIndices) = all.stratifiedSplit(heldOut: valFraction, seed: seed)
        let train = all.subset(trainIndices), held = all.subset(heldIndices)
        let c = folder.categories.count, end = Int32(vocabulary.endToken!)
        var settings = TrainingSettings()
        settings.batchSize = batchSize
        settings.threads = threads
        settings.seed = seed
        settings.optimizer = OptimizerSettings(kind: .adam, learningRate: lr)
        var rng = SeededGenerator(seed: seed)
        let network = ElmanNetwork(shape: NetworkShape(inputSize: c + vocabulary.count, hiddenSize: hidden, layers: layers,
                                                       outputSize: vocabulary.count), rng: &rng)
        let trainer = GeneratorTrainer(network: network, data: train, endToken: end, settings: settings)
        printNote("\(data): \(all.count) names in \(c) categories (\(train.count) for training, \(held.count) held out); "
            + "vocabulary \(vocabulary.count); \(network.parameterCount) parameters; \(trainer.stepsPerEpoch) steps per epoch")
        catchStopSignals()
        var latest = 0.0
        var best: (epoch: Int, nats: Double)?
        let (outcome, _) = try runEpochs(
            epochs: epochs, stepsPerEpoch: trainer.stepsPerEpoch, patience: patience, maxTime: maxTime, started: started,
            step: {
                do { return try trainer.trainStep() } catch {
                    throw CommandError("\(error)" + (best == nil ? "" : "; \(out) keeps the best model"))
                }
            },
            evaluate: {
                latest = evaluateGenerator(network, data: held, endToken: end).nats
                return (latest, String(format: "held-out %.4f bits/letter", latest / log(2)))
            },
            improved: { epoch in
                best = (epoch, latest)
                let metadata = try ModelMetadata(
                    task: .conditionalGenerator, cell: .rnnTanh, hiddenSize: hidden, numLayers: layers,
                    vocab: vocabulary.tokens, unknownToken: vocabulary.unknownToken, endToken: vocabulary.endToken,
                    categories: folder.categories,
                    training: ["data": .string(data), "epochs": .number(Double(epoch)), "seed": .number(Double(seed)),
                               "val_fraction": .number(valFraction), "held_out_bits_per_letter": .number(latest / log(2)),
                               "seconds": .number(Date().timeIntervalSince(started))])
                try ModelFile(network: network, metadata: metadata).write(to: out)
            })
        guard let best else { throw CommandError("stopped before the first epoch ended; no model was written") }
        if outcome == .interrupted {
            printNote("interrupted: \(out) holds the best model (epoch \(best.epoch))")
            throw ExitCode(stopSignal.load(ordering: .relaxed) == SIGTERM ? 143 : 130)
        }
        let seconds = Date().timeIntervalSince(started)
        if format == .json {
            printJSON(["out": .string(out), "epochs": .number(Double(best.epoch)), "stopped": .string(outcome.rawValue),
                       "seconds": .number(seconds), "steps": .number(Double(trainer.step)),
                       "held_out": .number(Double(held.count)), "held_out_nats_per_letter": .number(best.nats),
                       "held_out_bits_per_letter": .number(best.nats / log(2))] as [String: JSONValue])
        }
        printNote(String(format: "wrote %@ (held-out %.4f bits/letter at epoch %d; %.0f s, %@)", out,
                         best.nats / log(2), best.epoch, seconds, outcome.rawValue))
    }
}
