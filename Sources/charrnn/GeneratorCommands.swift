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
            names for the same --seed as train-classifier), the spellings of a name that differ \
            only in diacritics and case (Nguyễn, Nguyen) together; the held-out loss picks the best \
            epoch and stops training early. Score it with charrnn eval --data.
            """
    )

    @OptionGroup var options: NameModelOptions

    func run() throws {
        let started = Date()
        let (data, out, hidden, layers, epochs, seed) = (options.data, options.out, options.hidden, options.layers,
                                                        options.epochs, options.seed)
        let folder = try NamesFolder(path: data, caseMapping: .preserve)
        let vocabulary = try Vocabulary(counts: folder.letterCounts, minCount: options.minCount, unknownToken: unknownTokenString,
                                        endToken: endTokenString)
        let all = folder.encoded(with: vocabulary)
        let (trainIndices, heldIndices) = folder.split(all, heldOut: options.valFraction, seed: seed)
        let train = all.subset(trainIndices), held = all.subset(heldIndices)
        let c = folder.categories.count, end = Int32(vocabulary.endToken!)
        let settings = options.trainingSettings
        var rng = SeededGenerator(seed: seed)
        let network = RecurrentNetwork(shape: try options.shape(input: c + vocabulary.count, output: vocabulary.count,
                                                                 defaultCell: .rnn),
                                       rng: &rng)
        let trainer = GeneratorTrainer(network: network, data: train, endToken: end, settings: settings)
        printNote("\(data): \(all.count) names in \(c) categories (\(train.count) for training, \(held.count) held out); "
            + "vocabulary \(vocabulary.count); \(network.parameterCount) parameters; \(trainer.stepsPerEpoch) steps per epoch")
        catchStopSignals()
        var latest = 0.0
        var best: (epoch: Int, nats: Double)?
        let (outcome, _) = try runEpochs(
            epochs: epochs, stepsPerEpoch: trainer.stepsPerEpoch, patience: options.patience, maxTime: options.maxTime, started: started,
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
                    task: .conditionalGenerator, cell: network.shape.cell, hiddenSize: hidden, numLayers: layers,
                    vocab: vocabulary.tokens, unknownToken: vocabulary.unknownToken, endToken: vocabulary.endToken,
                    categories: folder.categories,
                    training: ["data": .string(data), "epochs": .number(Double(epoch)), "seed": .number(Double(seed)),
                               "val_fraction": .number(options.valFraction), "held_out_bits_per_letter": .number(latest / log(2)),
                               "seconds": .number(Date().timeIntervalSince(started))].merging(options.record) { a, _ in a })
                try ModelFile(network: network, metadata: metadata).write(to: out)
            },
            plateau: { options.decayed(&trainer.learningRateScale) })
        guard let best else { throw CommandError("stopped before the first epoch ended; no model was written") }
        if outcome == .interrupted {
            printNote("interrupted: \(out) holds the best model (epoch \(best.epoch))")
            throw ExitCode(stopSignal.load(ordering: .relaxed) == SIGTERM ? 143 : 130)
        }
        let seconds = Date().timeIntervalSince(started)
        if options.format == .json {
            printJSON(["out": .string(out), "epochs": .number(Double(best.epoch)), "stopped": .string(outcome.rawValue),
                       "seconds": .number(seconds), "steps": .number(Double(trainer.step)),
                       "held_out": .number(Double(held.count)), "held_out_nats_per_letter": .number(best.nats),
                       "held_out_bits_per_letter": .number(best.nats / log(2))] as [String: JSONValue])
        }
        printNote(String(format: "wrote %@ (held-out %.4f bits/letter at epoch %d; %.0f s, %@)", out,
                         best.nats / log(2), best.epoch, seconds, outcome.rawValue))
    }
}
