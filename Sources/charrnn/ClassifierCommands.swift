// MARK: - charrnn train-classifier and charrnn classify

import ArgumentParser
import Foundation
import Model
import Tensor
import Tokenizer
import Training

extension ClassBalance: ExpressibleByArgument {}

struct TrainClassifier: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-classifier",
        abstract: "Train a classifier of names by category (language) on a folder of <Category>.txt files.",
        discussion: """
            Each name is read letter by letter (NFC grapheme clusters, lowercased by default so \
            that SCHMIDT and Schmidt are one name) from a zero state by a GRU (--cell gru, the \
            default here: on Corpora/names it scored higher than the Elman cell, --cell rnn, on \
            both accuracy and macro-F1, Models/README.md); the decoder reads the final \
            state. A stratified, seeded --val-fraction of each category's names is held out; \
            spellings equal up to diacritics and case (Nguyễn, Nguyen: equal after NFD, dropping \
            combining marks, lowercasing) are one name there, held out or trained on together; \
            every epoch the held-out loss decides the best model, which --out holds, and training \
            stops early after --patience epochs without improvement, and the learning rate is \
            multiplied by --lr-decay after each epoch without one. --balance none (the default) \
            trains on the plain mean loss; sqrt weights each name's loss by 1/√(its category's \
            size), weights by 1/size, so that every category counts the same in total. On \
            Corpora/names plain training scored best on accuracy, sqrt slightly higher on \
            macro-F1 (Models/README.md).
            """
    )

    @OptionGroup var options: NameModelOptions

    @Option(help: "Class balance: none, sqrt (loss weights 1/√size) or weights (1/size: each category counts the same).")
    var balance: ClassBalance = .none

    @Option(name: .customLong("case"), help: "lower (default) or preserve letter case.")
    var caseMapping: CaseMapping = .lower

    @Option(help: "Draw the held-out confusion matrix (rows normalised) to this SVG file.")
    var plot: String?

    @Option(name: .customLong("save-split"),
            help: "Write the training and held-out names (normalized, with their categories) to this JSON file.")
    var saveSplit: String?

    func run() throws {
        let started = Date()
        let (data, out, hidden, layers, epochs, seed) = (options.data, options.out, options.hidden, options.layers,
                                                        options.epochs, options.seed)
        let folder = try NamesFolder(path: data, caseMapping: caseMapping)
        let vocabulary = try Vocabulary(counts: folder.letterCounts, minCount: options.minCount, unknownToken: unknownTokenString)
        let all = folder.encoded(with: vocabulary)
        let (trainIndices, heldIndices) = folder.split(all, heldOut: options.valFraction, seed: seed)
        let train = all.subset(trainIndices), held = all.subset(heldIndices)
        let c = folder.categories.count
        if let saveSplit {
            let part = { (indices: [Int]) -> JSONValue in
                .array(indices.map { i in
                    .object(["name": .string(folder.names[i].text),
                             "categories": .array(folder.names[i].categories.map { .string(folder.categories[Int($0)]) })])
                })
            }
            let document: JSONValue = .object(["categories": .array(folder.categories.map(JSONValue.string)),
                                               "train": part(trainIndices), "held_out": part(heldIndices)])
            try JSONEncoder().encode(document).write(to: URL(fileURLWithPath: saveSplit))
        }
        let settings = options.trainingSettings
        var rng = SeededGenerator(seed: seed)
        let network = RecurrentNetwork(shape: try options.shape(input: vocabulary.count, output: c, defaultCell: .gru), rng: &rng)
        let trainer = ClassifierTrainer(network: network, data: train, settings: settings, balance: balance)
        let counts = all.categoryCounts
        printNote("\(data): \(all.count) names in \(c) categories (\(train.count) for training, \(held.count) held out); "
            + "vocabulary \(vocabulary.count); \(network.parameterCount) parameters; \(trainer.stepsPerEpoch) steps per epoch")
        printNote("smallest categories: " + counts.indices.sorted { counts[$0] < counts[$1] }.prefix(3)
            .map { "\(folder.categories[$0]) \(counts[$0])" }.joined(separator: ", ") + "; balance: \(balance.rawValue)")

        catchStopSignals()
        var best: (epoch: Int, report: ClassificationReport)?
        var latest: ClassificationReport?
        let metadata = { (report: ClassificationReport, epoch: Int) throws -> ModelMetadata in
            try ModelMetadata(
                task: .classifier, cell: network.shape.cell, hiddenSize: hidden, numLayers: layers,
                textCase: TextCase(rawValue: caseMapping.rawValue)!, vocab: vocabulary.tokens,
                unknownToken: vocabulary.unknownToken, categories: folder.categories,
                training: ["data": .string(data), "epochs": .number(Double(epoch)), "seed": .number(Double(seed)),
                           "balance": .string(balance.rawValue), "val_fraction": .number(options.valFraction),
                           "held_out_accuracy": .number(report.accuracy), "held_out_macro_f1": .number(report.macroF1),
                           "held_out_nats": .number(report.loss),
                           "seconds": .number(Date().timeIntervalSince(started))].merging(options.record) { a, _ in a })
        }
        let (outcome, _) = try runEpochs(
            epochs: epochs, stepsPerEpoch: trainer.stepsPerEpoch, patience: options.patience, maxTime: options.maxTime, started: started,
            step: {
                do { return try trainer.trainStep() } catch {
                    throw CommandError("\(error)" + (best == nil ? "" : "; \(out) keeps the best model"))
                }
            },
            evaluate: {
                let report = ClassificationReport(probabilities: classify(network, sequences: held.sequences),
                                                  labels: held.labels, categoryCount: c)
                latest = report
                return (report.loss, String(format: "held-out loss %.4f, accuracy %.3f, macro-F1 %.3f",
                                            report.loss, report.accuracy, report.macroF1))
            },
            improved: { epoch in
                best = (epoch, latest!)
                try ModelFile(network: network, metadata: try metadata(latest!, epoch)).write(to: out)
            },
            plateau: { options.decayed(&trainer.learningRateScale) })
        let stopped = outcome.rawValue
        guard let best else { throw CommandError("stopped before the first epoch ended; no model was written") }
        if outcome == .interrupted {
            printNote("interrupted: \(out) holds the best model (epoch \(best.epoch))")
            throw ExitCode(stopSignal.load(ordering: .relaxed) == SIGTERM ? 143 : 130)
        }
        let report = best.report
        if let plot {
            try confusionMatrixSVG(categories: folder.categories, confusion: report.confusion,
                                   title: "charrnn train-classifier \(data): held-out confusion (best epoch \(best.epoch))")
                .write(toFile: plot, atomically: true, encoding: .utf8)
        }
        let seconds = Date().timeIntervalSince(started)
        if options.format == .json {
            var perCategory: [JSONValue] = []
            for (i, name) in folder.categories.enumerated() {
                perCategory.append(.object(["category": .string(name), "precision": .number(report.precision[i]),
                                            "recall": .number(report.recall[i]), "f1": .number(report.f1[i]),
                                            "support": .number(Double(report.support[i]))]))
            }
            printJSON([
                "out": .string(out), "epochs": .number(Double(best.epoch)), "stopped": .string(stopped),
                "seconds": .number(seconds), "steps": .number(Double(trainer.step)),
                "held_out": .number(Double(report.count)), "accuracy": .number(report.accuracy),
                "macro_f1": .number(report.macroF1), "majority_baseline": .number(report.majorityBaseline),
                "held_out_nats": .number(report.loss), "categories": .array(perCategory),
                "confusion": .array(report.confusion.map { .array($0.map { .number(Double($0)) }) }),
            ] as [String: JSONValue])
        } else {
            var out = OutputStream.standardOutput()
            out.append(String(format: "held-out names: %d; accuracy %.3f, macro-F1 %.3f (always the most common "
                              + "category: %.3f); best epoch %d of %d, %.0f s (%@)\n\n", report.count, report.accuracy,
                              report.macroF1, report.majorityBaseline, best.epoch, epochs, seconds, stopped))
            out.append("category        precision  recall   F1     names\n")
            for (i, name) in folder.categories.enumerated() {
                out.append(name.padding(toLength: 16, withPad: " ", startingAt: 0)
                    + String(format: "%6.3f    %6.3f  %6.3f  %5d\n", report.precision[i], report.recall[i], report.f1[i],
                             report.support[i]))
            }
            out.append("\n" + confusionMatrixText(categories: folder.categories, confusion: report.confusion))
            out.flush()
        }
        printNote("wrote \(options.out)")
    }
}

struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Say which categories (languages) names belong to, with probabilities.",
        discussion: "Names come from the arguments, or one per line on standard input when none are given.")

    @Option(help: "A classifier model (.safetensors).")
    var model: String

    @Argument(help: "Names to classify.")
    var names: [String] = []

    @Option(help: "How many categories to show per name.")
    var top = 3

    @Option(help: "Output: text or json.")
    var format: ReportFormat = .text

    func validate() throws {
        if top < 1 { throw ValidationError("--top must be at least 1") }
    }

    func run() throws {
        let file = try ModelFile(contentsOf: model)
        let metadata = file.metadata
        guard metadata.task == .classifier else {
            throw CommandError("\(model): a \(metadata.task.rawValue) model; classify needs one from train-classifier")
        }
        let vocabulary = try Vocabulary(tokens: metadata.vocab, unknownToken: metadata.unknownToken)
        let tokenizer = try Tokenizer(unit: TokenUnit(rawValue: metadata.unit.rawValue) ?? .grapheme,
                                      caseMapping: CaseMapping(rawValue: metadata.textCase.rawValue) ?? .preserve)
        var inputs = names
        if inputs.isEmpty {
            inputs = try TextSource(path: "-").readAll().split(whereSeparator: \.isNewline).map(String.init)
                .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        }
        var sequences: [[Int32]] = []
        for name in inputs {
            let letters = try tokenizer.tokens(name.trimmingCharacters(in: .whitespaces))
            guard !letters.isEmpty else { throw CommandError("an empty name; give names with at least one letter") }
            let unseen = letters.filter { vocabulary.id(of: $0) == nil }
            if !unseen.isEmpty {
                guard let unknown = vocabulary.unknownToken else {
                    throw CommandError("\(name): \(unseen.map(describeToken).joined(separator: ", ")) not in the model's vocabulary")
                }
                printNote("\(name): letters the model never saw, read as unknown: " + unseen.map(describeToken).joined(separator: ", "))
                _ = unknown
            }
            sequences.append(letters.map { Int32(vocabulary.id(of: $0) ?? vocabulary.unknownToken!) })
        }
        let probabilities = classify(file.network, sequences: sequences)
        let k = min(top, metadata.categories.count)
        let ranked = probabilities.map { p in p.indices.sorted { p[$0] > p[$1] }.prefix(k).map { ($0, p[$0]) } }
        if format == .json {
            let items: [JSONValue] = zip(inputs, ranked).map { name, predictions in
                .object(["input": .string(name), "predictions": .array(predictions.map {
                    .object(["category": .string(metadata.categories[$0.0]), "probability": .number($0.1)])
                })])
            }
            printJSON(JSONValue.array(items))
        } else {
            var out = OutputStream.standardOutput()
            for (name, predictions) in zip(inputs, ranked) {
                out.append(name + "  " + predictions.map { String(format: "%@ %.2f", metadata.categories[$0.0], $0.1) }
                    .joined(separator: ", ") + "\n")
            }
            out.flush()
        }
    }
}
