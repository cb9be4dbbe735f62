// MARK: - The options every training command shares, and the run's notes and summary

import ArgumentParser
import CharRNN
import Foundation

private let text = TrainingConfiguration(), names = TrainingConfiguration.namesClassifier
private let defaultClip: String = {
    if case .globalNorm(let x) = text.clipping { return "\(x)" }
    return "0"
}()

/// Options of train, train-classifier and train-generator. A value not given keeps the
/// command's default (or, with --resume, the stored value).
struct TrainingOptions: ParsableArguments {
    @Option(help: "Where to write the best model (a .safetensors file).")
    var out: String

    @Option(help: "The recurrent cell: rnn (Elman, tanh), lstm, gru, or tutorial (the 2017 PyTorch tutorial's SimpleRNN, one layer) (default: gru for train-classifier, rnn otherwise).")
    var cell: CellOption?

    @Option(help: "Hidden units per layer (default: \(text.hiddenSize); \(names.hiddenSize) for names).")
    var hidden: Int?

    @Option(help: "Stacked recurrent layers (default: \(text.layers)).")
    var layers: Int?

    @Option(help: "Dropout between stacked layers during training, 0 to 1 (default: \(text.dropout)).")
    var dropout: Float?

    @Option(name: .customLong("batch-size"),
            help: "Parallel streams per batch, or names per batch (default: \(text.batchSize)).")
    var batchSize: Int?

    @Option(help: "Learning rate (default: \(text.learningRate)).")
    var lr: Float?

    @Option(help: "Clip gradients to this global L2 norm; 0: no clipping (default: \(defaultClip)).")
    var clip: Float?

    @Option(name: .customLong("clip-value"), help: "Clamp each gradient element to ± this value instead (char-rnn's grad_clip).")
    var clipValue: Float?

    @Option(help: "Stop after this many updates in all, counting those before --resume.")
    var steps: Int?

    @Option(help: "Stop after this many passes over the training data (default: none for train; \(names.epochs!) for names).")
    var epochs: Int?

    @Option(name: .customLong("max-time"), help: "Stop after this many seconds of training, keeping the best model.")
    var maxTime: Double?

    @Option(help: "Stop after this many validations in a row without a better held-out loss; 0: never (default: \(text.patience)).")
    var patience: Int?

    @Option(name: .customLong("lr-plateau"),
            help: "Multiply the learning rate by this after a validation without improvement; 1: never (default: \(text.plateauFactor)).")
    var lrPlateau: Float?

    @Option(name: .customLong("min-improvement"),
            help: "How far below the best a held-out loss must fall, as a share, to count as better for --patience and --lr-plateau (default: \(text.minimumImprovement); 0 for names).")
    var minImprovement: Double?

    @Option(name: .customLong("eval-every"),
            help: "Updates between validations (default: an epoch, at most 1,000, or 1/20 of a --steps or --epochs limit; names: an epoch).")
    var evalEvery: Int?

    @Option(name: .customLong("val-fraction"),
            help: "Share held out for validation (default: \(text.validationFraction); \(names.validationFraction) of each category for names).")
    var valFraction: Double?

    @Option(name: .customLong("min-count"), help: "Letters seen fewer times become the unknown token (default: \(text.minCount): keep all).")
    var minCount: Int?

    @Option(name: .customLong("rng-seed"),
            help: "Random seed (weights, dropout, names' split and order); the same seed and --threads repeat a run (default: \(text.rngSeed)).")
    var rngSeed: UInt64?

    @Option(name: .customLong("seed"), help: .hidden)
    var deprecatedSeed: UInt64?

    @Option(help: "Threads each batch is split across; the weights depend on it (default: all cores).")
    var threads: Int?

    @Flag(help: "Replace invalid UTF-8 in the data with U+FFFD (and say how many) instead of stopping.")
    var lossy = false

    @Flag(help: "Continue from <out>.resume.safetensors; only the limits, validation, learning rate and clipping may change.")
    var resume = false

    @Option(help: "Output: text, or json (one summary document on stdout).")
    var format: ReportFormat = .text

    func validate() throws {
        if steps != nil && epochs != nil { throw CharRNNError("give --steps or --epochs, not both") }
        if rngSeed != nil && deprecatedSeed != nil { throw CharRNNError("give --rng-seed only (--seed is its old name)") }
        if let maxTime, !(maxTime > 0) { throw CharRNNError("--max-time must be positive") }
        if let deprecatedSeed {
            printNote("--seed N is now --rng-seed N for training (--seed is generate's seed text); using --rng-seed \(deprecatedSeed)")
        }
    }

    /// The random seed given, by its name or its old one.
    var seed: UInt64? { rngSeed ?? deprecatedSeed }

    /// The given values over `c`.
    func apply(to c: inout TrainingConfiguration) {
        if let cell { c.cell = cell.kind }
        if let hidden { c.hiddenSize = hidden }
        if let layers { c.layers = layers }
        if let dropout { c.dropout = dropout }
        if let batchSize { c.batchSize = batchSize }
        if let lr { c.learningRate = lr }
        if let clipValue { c.clipping = .value(clipValue) } else if let clip { c.clipping = clip == 0 ? .none : .globalNorm(clip) }
        if steps != nil || epochs != nil {
            c.steps = steps
            c.epochs = epochs
        }
        if let maxTime { c.maxTime = maxTime.isFinite ? maxTime : nil }  // inf: no limit
        if let patience { c.patience = patience }
        if let lrPlateau { c.plateauFactor = lrPlateau }
        if let minImprovement { c.minimumImprovement = minImprovement }
        if let evalEvery { c.validateEvery = evalEvery }
        if let valFraction { c.validationFraction = valFraction }
        if let minCount { c.minCount = minCount }
        if let seed { c.rngSeed = seed }
        if let threads { c.threads = threads }
        c.lossy = lossy
    }

    /// The stored configuration with the limits given now; the other options given must agree
    /// with it (the error names the flag and its stored value).
    func resumed(_ stored: TrainingConfiguration, source: String) throws -> TrainingConfiguration {
        let checks: [(String, String?, String)] = [
            ("--cell", cell?.rawValue, CellOption(stored.cell).rawValue), ("--hidden", hidden.map(String.init), "\(stored.hiddenSize)"),
            ("--layers", layers.map(String.init), "\(stored.layers)"), ("--dropout", dropout.map { "\($0)" }, "\(stored.dropout)"),
            ("--batch-size", batchSize.map(String.init), "\(stored.batchSize)"),
            ("--threads", threads.map(String.init), "\(stored.resolvedThreads)"),
            ("--rng-seed", seed.map(String.init), "\(stored.rngSeed)"),
            ("--val-fraction", valFraction.map { "\($0)" }, "\(stored.validationFraction)"),
            ("--min-count", minCount.map(String.init), "\(stored.minCount)"),
        ]
        for (flag, given, was) in checks where given != nil && given != was {
            throw CharRNNError("\(source) was trained with \(flag) \(was); drop \(flag) to resume, or start over")
        }
        var c = stored
        c.lossy = lossy
        if steps != nil || epochs != nil { (c.steps, c.epochs) = (steps, epochs) }
        if let maxTime { c.maxTime = maxTime.isFinite ? maxTime : nil }
        if let patience { c.patience = patience }
        if let lrPlateau { c.plateauFactor = lrPlateau }
        if let minImprovement { c.minimumImprovement = minImprovement }
        if let evalEvery { c.validateEvery = evalEvery }
        if let lr { c.learningRate = lr }
        if let clipValue { c.clipping = .value(clipValue) } else if let clip { c.clipping = clip == 0 ? .none : .globalNorm(clip) }
        return c
    }

    /// Says when --dropout cannot act (PyTorch's rule: only between layers).
    func noteDropout(_ c: TrainingConfiguration) {
        if c.dropout > 0 && c.layers < 2 {
            printNote("--dropout acts between stacked layers only (as PyTorch's); with --layers 1 it changes nothing")
        }
    }
}

/// Drives the progress line from a run's events, and prints validations and plateaus.
struct EventPrinter {
    var line: ProgressLine
    let loop: TrainingLoop
    /// Extra words after a validation (a classifier's accuracy).
    var detail: () -> String = { "" }
    /// The unit losses are shown in, and the factor from nats to it.
    var unit = "bits/token" { didSet { line.scale = unit.hasPrefix("nats") ? 1 : 1 / log(2) } }

    init(loop: TrainingLoop) {
        self.loop = loop
        line = ProgressLine(limit: loop.stepLimit, maxTime: loop.rules.maxTime, startStep: loop.step)
    }

    mutating func handle(_ event: TrainingEvent) {
        switch event {
        case .step(let step, let loss, let rate):
            line.step(step, loss: loss, rate: rate, epoch: loop.epoch)
        case .validated(let step, let loss, let improved):
            line.validation = loss * line.scale
            line.note(String(format: "step %@ (epoch %.2f): validation %.4f %@", grouped(step), loop.epoch, loss * line.scale, unit)
                + detail() + (improved ? " (best so far)" : ""))
        case .plateau(_, let rate):
            line.note("no better held-out loss: learning rate now \(rate)")
        case .recorded:
            break
        }
    }
}

/// How a new model reads its corpus: what a letter is, the case, and the size of the vocabulary
/// (`train` and `encode`, which must build the same vocabulary from the same text).
struct VocabularyOptions: ParsableArguments {
    @Option(help: "What a letter is: grapheme or word (default: \(TrainingConfiguration().unit.rawValue)).")
    var unit: TokenUnit?

    @Option(name: .customLong("case"), help: "Keep letter case (preserve) or lowercase the corpus (lower) (default: \(TrainingConfiguration().caseMapping.rawValue)).")
    var caseMapping: CaseMapping?

    @Option(name: .customLong("max-vocab"), help: "Keep at most this many letters, the most frequent; the rest become an unknown token.")
    var maxVocab: Int?

    /// Whether any of them was given.
    var given: Bool { unit != nil || caseMapping != nil || maxVocab != nil }

    /// The given values over `configuration`'s.
    func apply(to configuration: inout TrainingConfiguration) {
        if let unit { configuration.unit = unit }
        if let caseMapping { configuration.caseMapping = caseMapping }
        configuration.maxVocabulary = maxVocab
    }
}
