// MARK: - charrnn train-classifier, train-generator and classify: names by category

import ArgumentParser
import CharRNN
import Foundation

/// Trains a names model with the shared options and prints its progress; what the two training
/// commands share.
private func trainNames(task: ModelTask, data: String, options: TrainingOptions, extraOutputs: [OutputFile] = [],
                        base: TrainingConfiguration? = nil,
                        configure: (inout TrainingConfiguration) -> Void) throws -> (NamesTrainer, TrainingSummary)
{
    let trainer: NamesTrainer
    let resumePath = resumeFilePath(out: options.out)
    try checkOutputs([OutputFile(options.out, option: "--out"), OutputFile(resumePath, option: "the resume file")] + extraOutputs,
                     inputFolders: [(data, "--data")])
    let lock = try OutputLock(for: options.out)
    if options.resume {
        let (stored, storedTask) = try NamesTrainer.storedConfiguration(resumePath)
        guard storedTask == task else { throw CharRNNError("\(resumePath) is a \(storedTask.rawValue) run; resume it with its own command") }
        var c = try options.resumed(stored, source: resumePath)
        configure(&c)  // the command's own options: the library refuses any that differ from the stored ones
        trainer = try NamesTrainer(resuming: resumePath, folder: data, configuration: c)
        printNote("resuming from \(resumePath) at step \(trainer.resumedFrom ?? 0)")
    } else {
        var c = base ?? (task == .classifier ? TrainingConfiguration.namesClassifier : .namesGenerator)
        options.apply(to: &c)
        configure(&c)
        try c.validate()
        options.noteDropout(c)
        trainer = try NamesTrainer(folder: data, task: task, configuration: c)
    }
    let c = trainer.configuration
    let counts = trainer.names.categoryCounts, categories = trainer.folder.categories
    printNote("\(data): \(grouped(trainer.names.count)) names in \(categories.count) categories (\(grouped(trainer.trainIndices.count)) "
        + "for training, \(grouped(trainer.heldOutIndices.count)) held out); vocabulary \(trainer.vocabulary.count); "
        + "\(grouped(trainer.network.parameterCount)) parameters; \(grouped(trainer.objective.stepsPerEpoch)) steps per epoch")
    if task == .classifier {
        printNote("smallest categories: " + counts.indices.sorted { counts[$0] < counts[$1] }.prefix(3)
            .map { "\(categories[$0]) \(counts[$0])" }.joined(separator: ", ") + "; balance: \(c.balance.rawValue)")
    }
    var printer = EventPrinter(loop: trainer.loop)
    printer.unit = task == .classifier ? "nats/name" : "bits/letter"
    printer.detail = { trainer.latestReport.map { String(format: ", accuracy %.3f, macro-F1 %.3f", $0.accuracy, $0.macroF1) } ?? "" }
    catchStopSignals()
    let summary: TrainingSummary
    defer { printer.line.finish() }
    summary = try trainer.run(out: options.out, cancel: stopToken, lock: lock) { printer.handle($0) }
    let kept = summary.bestStep != nil ? "; \(options.out) keeps the best model (epoch \(trainer.bestEpoch ?? 0))" : ""
    switch summary.outcome {
    case .diverged(let step):
        throw CharRNNError("the loss became NaN or infinite at step \(step)\(kept); lower --lr and train again")
    case .cancelled:
        printNote("interrupted at step \(summary.steps): saved \(resumePath)\(kept); continue with --resume")
        throw ExitCode(stopStatus)
    default:
        guard summary.bestStep != nil else { throw CharRNNError("stopped before the first validation; no model was written") }
    }
    return (trainer, summary)
}

/// The closing facts of a names run, for the JSON summary.
private func summaryJSON(_ trainer: NamesTrainer, _ summary: TrainingSummary, out: String, started: Date) -> [String: JSONValue] {
    ["out": .string(out), "epochs": .number(Double(trainer.bestEpoch ?? 0)), "seconds": .number(Date().timeIntervalSince(started)),
     "train_seconds": .number(summary.seconds), "steps": .number(Double(summary.steps)),
     "held_out": .number(Double(trainer.heldOutIndices.count)), "stopped": .string(summary.outcome.phrase)]
}

struct TrainClassifier: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-classifier",
        abstract: "Train a classifier of names by category (language) on a folder of <Category>.txt files.",
        discussion: """
            Each name is read letter by letter (NFC grapheme clusters, lowercased by default so \
            that SCHMIDT and Schmidt are one name) from a zero state by a GRU unless --cell says \
            otherwise; the decoder reads the final state (--cell tutorial: the output after the \
            last letter, from it and the state before it, as the 2017 PyTorch tutorial's SimpleRNN; \
            --recipe pytorch-tutorial replays that tutorial's training). A stratified, seeded --val-fraction of \
            each category's names is held out, spellings equal up to diacritics and case (Nguyễn, \
            Nguyen) together. After every epoch the held-out loss decides the best model, which \
            --out holds; a validation without improvement multiplies the learning rate by \
            --lr-plateau, and --patience of them in a row stop training. --balance none trains on \
            the plain mean loss; sqrt weights each name's loss by 1/√(its category's size), \
            weights by 1/size, so that every category counts the same in total.
            """
    )

    @Option(help: "A folder of <Category>.txt files, one name per line.")
    var data: String

    @OptionGroup var options: TrainingOptions

    @Option(help: """
        Class balance: none, sqrt (loss weights 1/√size) or weights (1/size: each category counts the same) \
        (default: \(TrainingConfiguration.namesClassifier.balance.rawValue)).
        """)
    var balance: ClassBalance?

    @Option(name: .customLong("case"),
            help: "lower or preserve letter case (default: \(TrainingConfiguration.namesClassifier.caseMapping.rawValue)).")
    var caseMapping: CaseMapping?

    @Option(help: "Draw the held-out confusion matrix (rows normalised) to this SVG file.")
    var plot: String?

    @Option(name: .customLong("save-split"),
            help: "Write the training and held-out names (normalized, with their categories) to this JSON file.")
    var saveSplit: String?

    @Option(help: """
        A preset the other flags given override: pytorch-tutorial (the 2017 PyTorch tutorial: --cell tutorial, --hidden 128, \
        one name per step drawn category-uniformly, plain SGD --lr 0.005, no clipping, --steps 100000).
        """)
    var recipe: Recipe?

    @Option(name: .customLong("lr-decay"), help: .hidden)
    var deprecatedDecay: Float?

    func validate() throws {
        if recipe != nil && options.resume {
            throw CharRNNError("--recipe sets up a new run; --resume continues with the stored settings: drop --recipe")
        }
    }

    func run() throws {
        let started = Date()
        let outputs = [plot.map { OutputFile($0, option: "--plot") }, saveSplit.map { OutputFile($0, option: "--save-split") }]
        let (trainer, summary) = try trainNames(task: .classifier, data: data, options: options,
                                                extraOutputs: outputs.compactMap { $0 }, base: recipe?.configuration) { c in
            if let balance { c.balance = balance }
            if let caseMapping { c.caseMapping = caseMapping }
            if let deprecatedDecay {
                printNote("--lr-decay is now --lr-plateau for the name commands (--lr-decay is train's step decay)")
                c.plateauFactor = deprecatedDecay
            }
        }
        let folder = trainer.folder
        if let saveSplit {
            let part = { (indices: [Int]) -> JSONValue in
                .array(indices.map { i in
                    .object(["name": .string(folder.names[i].text),
                             "categories": .array(folder.names[i].categories.map { .string(folder.categories[Int($0)]) })])
                })
            }
            let document: JSONValue = .object(["categories": .array(folder.categories.map(JSONValue.string)),
                                               "train": part(trainer.trainIndices), "held_out": part(trainer.heldOutIndices)])
            try JSONEncoder().encode(document).write(to: URL(fileURLWithPath: saveSplit))
        }
        guard let report = trainer.bestReport else { throw CharRNNError("no name was held out; raise --val-fraction") }
        if report.accuracy <= report.majorityBaseline {
            printNote(String(format: "the held-out accuracy (%.3f) is no better than always answering the most common category "
                + "(%.3f): train longer, or give more names per category", report.accuracy, report.majorityBaseline))
        }
        let epoch = trainer.bestEpoch ?? 0
        if let plot {
            try confusionMatrixSVG(categories: folder.categories, confusion: report.confusion,
                                   title: "charrnn train-classifier \(data): held-out confusion (best epoch \(epoch))")
                .write(toFile: plot, atomically: true, encoding: .utf8)
        }
        if options.format == .json {
            let perCategory: [JSONValue] = folder.categories.enumerated().map { i, name in
                .object(["category": .string(name), "precision": .number(report.precision[i]), "recall": .number(report.recall[i]),
                         "f1": .number(report.f1[i]), "support": .number(Double(report.support[i]))])
            }
            printJSON(summaryJSON(trainer, summary, out: options.out, started: started).merging([
                "accuracy": .number(report.accuracy), "macro_f1": .number(report.macroF1),
                "majority_baseline": .number(report.majorityBaseline), "held_out_nats": .number(report.loss),
                "categories": .array(perCategory),
                "confusion": .array(report.confusion.map { .array($0.map { .number(Double($0)) }) }),
            ]) { $1 })
        } else {
            var text = String(format: "held-out names: %@; accuracy %.3f, macro-F1 %.3f (always the most common category: %.3f); "
                              + "best epoch %d, %@ (%@)\n\n", grouped(report.count), report.accuracy, report.macroF1,
                              report.majorityBaseline, epoch, duration(summary.seconds), summary.outcome.phrase)
            text += "category        precision  recall   F1     names\n"
            for (i, name) in folder.categories.enumerated() {
                text += name.padding(toLength: 16, withPad: " ", startingAt: 0)
                    + String(format: "%6.3f    %6.3f  %6.3f  %5d\n", report.precision[i], report.recall[i], report.f1[i], report.support[i])
            }
            printOut(text + "\n" + confusionMatrixText(categories: folder.categories, confusion: report.confusion))
        }
        printNote("wrote \(options.out)")
    }
}

/// A preset of `train-classifier`, as the command line names it.
enum Recipe: String, ExpressibleByArgument, CaseIterable {
    case pytorchTutorial = "pytorch-tutorial"

    var configuration: TrainingConfiguration {
        switch self {
        case .pytorchTutorial: .pytorchTutorial
        }
    }
}

struct TrainGenerator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-generator",
        abstract: "Train a generator of names by category (language) on a folder of <Category>.txt files.",
        discussion: """
            The model reads [one-hot category ; one-hot letter] at each step, from a zero state: \
            first the end-of-name token (the start marker), then the name's letters, and learns to \
            predict each next letter and then the end token, so generated names end by themselves. \
            Letter case is kept. A stratified --val-fraction of the names is held out (the same \
            names for the same --rng-seed as train-classifier), the spellings of a name that differ \
            only in diacritics and case (Nguyễn, Nguyen) together; the held-out loss picks the best \
            epoch and stops training early. Score it with charrnn eval --data.
            """
    )

    @Option(help: "A folder of <Category>.txt files, one name per line.")
    var data: String

    @OptionGroup var options: TrainingOptions

    @Option(name: .customLong("lr-decay"), help: .hidden)
    var deprecatedDecay: Float?

    func run() throws {
        let started = Date()
        let (trainer, summary) = try trainNames(task: .conditionalGenerator, data: data, options: options) { c in
            if let deprecatedDecay {
                printNote("--lr-decay is now --lr-plateau for the name commands (--lr-decay is train's step decay)")
                c.plateauFactor = deprecatedDecay
            }
        }
        let best = trainer.loop.state.bestLoss ?? 0
        if let baseline = trainer.letterFrequencyBaseline, best >= baseline {
            printNote(String(format: "the held-out loss (%.3f bits/letter) is not below the letter-frequency baseline (%.3f): "
                + "train longer, or give more names", best / log(2), baseline / log(2)))
        }
        if options.format == .json {
            printJSON(summaryJSON(trainer, summary, out: options.out, started: started).merging([
                "held_out_nats_per_letter": .number(best), "held_out_bits_per_letter": .number(best / log(2)),
            ]) { $1 })
        }
        printNote(String(format: "wrote %@ (held-out %.4f bits/letter at epoch %d; %@, %@)", options.out, best / log(2),
                         trainer.bestEpoch ?? 0, duration(summary.seconds), summary.outcome.phrase))
    }
}

struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Say which categories (languages) names belong to, with probabilities.",
        discussion: """
            Names come from the arguments, or one per line on standard input when none are given. \
            A name that cannot be read (an empty one) gets an error line and the exit status is 1; \
            the others are answered.
            """)

    @Option(help: "A classifier model (.safetensors).")
    var model: String

    @Argument(help: "Names to classify.")
    var names: [String] = []

    @Option(help: "How many categories to show per name.")
    var top = 3

    @Flag(help: "Read invalid UTF-8 on standard input as U+FFFD instead of stopping.")
    var lossy = false

    @Option(help: "Output: text or json.")
    var format: ReportFormat = .text

    func validate() throws { try ClassifiedName.checkTop(top) }

    func run() throws {
        let classifier = try NamesClassifier(contentsOf: model)
        var inputs = names
        if inputs.isEmpty {
            inputs = try TextSource(path: "-", lossy: lossy).readAll().split(whereSeparator: \.isNewline).map(String.init)
                .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        }
        let results = classifier.classify(inputs)
        var answers: [ClassifiedName] = []
        for (index, result) in results.enumerated() {
            switch result {
            case .success(let answer):
                if !answer.unseenLetters.isEmpty {
                    printNote("\(answer.input): letters the model never saw, read as unknown: "
                        + answer.unseenLetters.map(describeToken).joined(separator: ", "))
                }
                answers.append(answer)
            case .failure(let error):
                printNote("name \(index + 1): \(error)")
            }
        }
        if format == .json {
            printJSON(answers.map { $0.top(top) })
        } else {
            printOut(answers.map { answer in
                answer.input + "  " + answer.predictions.prefix(top).map { String(format: "%@ %.2f", $0.category, $0.probability) }
                    .joined(separator: ", ") + "\n"
            }.joined())
        }
        if answers.count < results.count { throw ExitCode.failure }
    }
}
