// MARK: - Training a names classifier or a names generator on a folder of names

import Foundation

/// What a names run's resume file records beside the model and the optimizer.
struct NamesProgress: Codable {
    var task: ModelTask
    var configuration: TrainingConfiguration
    /// The names read, and a hash of their ids and categories, to refuse a different folder.
    var names: Int
    var dataHash: UInt64
    var order: ExampleOrder
    var loop: LoopState
    /// The best model's held-out report (classifiers).
    var bestReport: ClassificationReport?
}

/// Trains a names classifier (`task: .classifier`) or a conditional names generator
/// (`.conditionalGenerator`) on a `NamesFolder`: a stratified, seeded share of each category held
/// out (spellings of one name together), shuffled mini-batches of names, validation after each
/// epoch, through the `TrainingLoop`.
///
/// `run(out:)` keeps the best model by held-out loss in `out` and the latest state in
/// `out + ".resume.safetensors"`, from which `init(resuming:…)` continues exactly.
public final class NamesTrainer {
    /// The end-of-name token of name generators: a line break, since a name is one line. At the
    /// start of a name it is also the start marker.
    public static let endTokenString = "\n"

    /// The settings this run was given.
    public let configuration: TrainingConfiguration
    /// What the model does: `.classifier` or `.conditionalGenerator`.
    public let task: ModelTask
    /// The path of the names folder.
    public let folderPath: String
    /// The names, by category.
    public let folder: NamesFolder
    /// The reserved tokens first (a generator's end token, ``endTokenString``, then the unknown
    /// token U+FFFD), then the letters of the names, most frequent first, within `minCount` and
    /// `maxVocabulary`.
    public let vocabulary: Vocabulary
    /// Every name, encoded with ``vocabulary``, in the order of ``NamesFolder/names``.
    public let names: LabeledSequences
    /// The indices into ``names`` of the names trained on and of those held out, ascending.
    public let trainIndices: [Int], heldOutIndices: [Int]
    /// What the loop trains: a ``ClassifierTrainer`` or a ``GeneratorTrainer`` over the names.
    public let objective: any TrainingObjective & ExampleTrainer
    /// The loop that makes the updates, with its stopping rules and state.
    public let loop: TrainingLoop
    /// The step a resumed run started from (nil: a new run).
    public private(set) var resumedFrom: Int?
    /// The best model's held-out classification report (classifiers).
    public private(set) var bestReport: ClassificationReport?

    /// The network being trained.
    public var network: RecurrentNetwork { objective.network }

    /// Reads the folder and builds the network (seeded by `rngSeed`).
    ///
    /// - Parameters:
    ///   - path: a folder of `<Category>.txt` files, one name per line (see ``NamesFolder``).
    ///   - task: `.classifier` or `.conditionalGenerator`.
    ///   - configuration: the run's settings, usually from
    ///     ``TrainingConfiguration/namesClassifier`` or ``TrainingConfiguration/namesGenerator``.
    /// - Throws: ``CharRNNError`` when `task` is `.languageModel`, a setting is out of range,
    ///   `validationFraction` is 0, or the folder cannot be used (see
    ///   ``NamesFolder/init(path:unit:caseMapping:lossy:)``); ``TextInputError``, ``ICUError`` or
    ///   ``VocabularyError`` when a file or the vocabulary cannot be read or built.
    public convenience init(folder path: String, task: ModelTask, configuration: TrainingConfiguration) throws {
        try self.init(folder: path, task: task, configuration: configuration, network: nil)
    }

    /// Continues the run saved in `resumePath` on the same folder.
    ///
    /// - Parameters:
    ///   - resumePath: the resume file (`out + ".resume.safetensors"` of the run's model file).
    ///   - path: the folder the run was trained on; it must hold the same names.
    ///   - configuration: the stored configuration (``storedConfiguration(_:)``) with new limits,
    ///     validation interval or learning rate; nil: the stored one as it is.
    /// - Throws: ``CharRNNError`` when the file is not a names run's, the configuration changes
    ///   more than ``TrainingConfiguration/checkResumable(from:file:)`` allows, or the folder is
    ///   not the one trained on.
    public convenience init(resuming resumePath: String, folder path: String, configuration: TrainingConfiguration? = nil) throws {
        let (file, progress) = try Self.stored(resumePath)
        let configuration = configuration ?? progress.configuration
        try configuration.checkResumable(from: progress.configuration, file: resumePath)
        try self.init(folder: path, task: progress.task, configuration: configuration, network: file.model.network)
        guard names.count == progress.names, Self.hash(names) == progress.dataHash else {
            throw CharRNNError("\(path) is not the folder \(resumePath) was trained on; give the same --data, or start over "
                + "without --resume")
        }
        do {
            try objective.restore(progress.order, optimizerStep: file.optimizerStep, first: file.optimizerFirst,
                                  second: file.optimizerSecond)
        } catch { throw CharRNNError("\(resumePath): \(error)") }
        loop.restore(progress.loop)
        bestReport = progress.bestReport
        resumedFrom = file.optimizerStep
    }

    private init(folder path: String, task: ModelTask, configuration: TrainingConfiguration, network: RecurrentNetwork?) throws {
        guard task != .languageModel else { throw CharRNNError("a language model trains on a text: use TextTrainer") }
        try configuration.validate()
        if configuration.decoder != nil {
            throw CharRNNError("an adaptive decoder is for language models (charrnn train); names models use the linear one")
        }
        if !(configuration.validationFraction > 0) { throw CharRNNError("--val-fraction must be in (0, 1)") }
        self.configuration = configuration
        self.task = task
        folderPath = path
        folder = try NamesFolder(path: path, unit: configuration.unit, caseMapping: configuration.caseMapping,
                                 lossy: configuration.lossy)
        vocabulary = try Vocabulary(counts: folder.letterCounts, minCount: configuration.minCount,
                                    maxSize: configuration.maxVocabulary, unknownToken: unknownTokenString,
                                    endToken: task == .conditionalGenerator ? Self.endTokenString : nil)
        names = folder.encoded(with: vocabulary)
        (trainIndices, heldOutIndices) = folder.split(names, heldOut: configuration.validationFraction,
                                                      seed: configuration.rngSeed)
        guard !heldOutIndices.isEmpty else {
            throw CharRNNError("\(path): no name is held out (each category needs two names or more); raise --val-fraction "
                + "or add names")
        }
        let train = names.subset(trainIndices), held = names.subset(heldOutIndices)
        let c = folder.categories.count, v = vocabulary.count
        let shape = NetworkShape(inputSize: task == .classifier ? v : c + v, hiddenSize: configuration.hiddenSize,
                                 layers: configuration.layers, outputSize: task == .classifier ? c : v, cell: configuration.cell)
        if let network, network.shape != shape {
            throw CharRNNError("the saved network does not fit the folder's letters and categories; start over without --resume")
        }
        let longest = (names.sequences.map(\.count).max() ?? 0) + 1
        try MemoryNeed.training(shape, batch: configuration.batchSize, steps: longest, threads: configuration.resolvedThreads)
            .check(what: "training \(shape.layers) layer(s) of \(shape.hiddenSize) units, \(configuration.batchSize) names per batch,",
                   advice: "lower --hidden or --batch-size")
        var rng = SeededGenerator(seed: configuration.rngSeed)
        let network = network ?? RecurrentNetwork(shape: shape, rng: &rng)
        if task == .classifier {
            objective = ClassifierTrainer(network: network, data: train, heldOut: held, settings: configuration.settings,
                                          balance: configuration.balance)
        } else {
            objective = GeneratorTrainer(network: network, data: train, heldOut: held,
                                         endToken: Int32(vocabulary.endToken!), settings: configuration.settings)
        }
        loop = TrainingLoop(objective: objective,
                            rules: configuration.rules(validatingEvery: configuration.validateEvery ?? objective.stepsPerEpoch))
        resumedFrom = nil
    }

    /// What a resume file holds: the model, the optimizer, and the run's progress.
    static func stored(_ resumePath: String) throws -> (file: ResumeFile, progress: NamesProgress) {
        guard FileManager.default.fileExists(atPath: resumePath) else {
            throw CharRNNError("\(resumePath) does not exist; run without --resume to start training")
        }
        let file = try ResumeFile(contentsOf: resumePath)
        do { return (file, try JSONDecoder().decode(NamesProgress.self, from: Data(file.progress.utf8))) } catch {
            throw CharRNNError("\(resumePath): not the resume file of a names model (\(error)); start over without --resume")
        }
    }

    /// The configuration a names run's resume file was started with, and its task.
    public static func storedConfiguration(_ resumePath: String) throws -> (configuration: TrainingConfiguration, task: ModelTask) {
        let progress = try stored(resumePath).progress
        return (progress.configuration, progress.task)
    }

    /// A generator's letter-frequency baseline: the entropy, in nats per letter, of the training
    /// names' letters and end tokens (nil for a classifier, whose baseline is the report's
    /// `majorityBaseline`).
    public var letterFrequencyBaseline: Double? {
        guard task == .conditionalGenerator, let end = vocabulary.endToken else { return nil }
        let letters = trainIndices.flatMap { names.sequences[$0] + [Int32(end)] }
        return unigramEntropy(letters, vocabularySize: vocabulary.count)
    }

    /// The latest held-out classification report (classifiers).
    public var latestReport: ClassificationReport? { (objective as? ClassifierTrainer)?.lastReport }

    /// Epochs done when the best model was saved.
    public var bestEpoch: Int? { loop.state.bestStep.map { ($0 + objective.stepsPerEpoch - 1) / objective.stepsPerEpoch } }

    /// Trains until a limit, early stopping, divergence or cancellation, writing the best model
    /// to `out` whenever the held-out loss improves and the latest state to its resume file
    /// (`out + ".resume.safetensors"`) at each validation.
    ///
    /// Validation runs after every epoch unless ``TrainingConfiguration/validateEvery`` says
    /// otherwise.
    ///
    /// - Parameters:
    ///   - out: the model file (the best by held-out loss).
    ///   - cancel: set it to stop after the current update.
    ///   - lock: the caller's ``OutputLock`` on `out`, taken before it read the data; nil: the
    ///     run takes its own for its life (another run writing `out` makes it throw at once).
    ///   - events: the loop's events, after the trainer has saved the model they call for.
    /// - Returns: how the run ended, its steps and seconds, and the best held-out loss (nats per
    ///   name for a classifier, per letter for a generator).
    /// - Throws: an error thrown by `events`, which ends the run; ``ModelFileError`` or
    ///   ``ModelMetadataError`` when the model cannot be written. A loss that is not finite does
    ///   not throw: the run ends with ``TrainingOutcome/diverged(step:)``.
    /// - Complexity: per update, a forward and backward pass over a batch of `batchSize`
    ///   names, as long as the longest of them (split across `threads`); per validation, a
    ///   forward pass over the held-out names and, when they improved, a file write.
    public func run(out: String, cancel: CancellationToken = CancellationToken(), lock: OutputLock? = nil,
                    events: (TrainingEvent) throws -> Void = { _ in }) throws -> TrainingSummary
    {
        let resumePath = resumeFilePath(out: out)
        try checkOutputs([OutputFile(out, option: "--out"), OutputFile(resumePath, option: "the resume file")],
                         inputFolders: [(folderPath, "--data")])
        let ownLock = lock == nil ? try OutputLock(for: out) : nil
        defer { ownLock?.release() }
        let outcome = try loop.run(cancel: cancel) { event in
            switch event {
            case .validated(let step, let loss, true):
                bestReport = latestReport
                try model(heldOutLoss: loss, step: step).write(to: out)
            case .recorded:
                try saveResume(to: resumePath)
            default:
                break
            }
            try events(event)
        }
        return TrainingSummary(outcome: outcome, loop: loop)
    }

    /// The model as of now, with its training record.
    private func model(heldOutLoss: Double?, step: Int) throws -> ModelFile {
        var training = configuration.record
        training["data"] = .string(folderPath)
        training["epochs"] = .number(Double((step + objective.stepsPerEpoch - 1) / objective.stepsPerEpoch))
        training["val_fraction"] = .number(configuration.validationFraction)
        training["seconds"] = .number(loop.elapsed)
        if task == .classifier, let report = latestReport {
            training["balance"] = .string(configuration.balance.rawValue)
            training["held_out_accuracy"] = .number(report.accuracy)
            training["held_out_macro_f1"] = .number(report.macroF1)
            training["held_out_nats"] = .number(report.loss)
        } else if let heldOutLoss {
            training["held_out_bits_per_letter"] = .number(heldOutLoss / log(2))
        }
        let metadata = try ModelMetadata(
            task: task, cell: network.shape.cell, hiddenSize: network.shape.hiddenSize, numLayers: network.shape.layers,
            unit: configuration.unit, caseMapping: configuration.caseMapping, vocab: vocabulary.tokens,
            unknownToken: vocabulary.unknownToken, endToken: vocabulary.endToken, categories: folder.categories,
            training: training)
        return ModelFile(network: network, metadata: metadata)
    }

    private func saveResume(to path: String) throws {
        var stored = configuration
        stored.threads = configuration.resolvedThreads  // the weights depend on it: a resume keeps it
        let progress = NamesProgress(task: task, configuration: stored, names: names.count, dataHash: Self.hash(names),
                                     order: objective.exampleOrder, loop: loop.state, bestReport: bestReport)
        let json = String(decoding: try JSONEncoder().encode(progress), as: UTF8.self)
        try ResumeFile(model: try model(heldOutLoss: nil, step: loop.step), optimizerStep: objective.optimizer.step,
                       optimizerFirst: objective.optimizer.first.array, optimizerSecond: objective.optimizer.second.array,
                       carriedState: [], progress: json).write(to: path)
    }

    /// A fingerprint of the names and their categories.
    private static func hash(_ names: LabeledSequences) -> UInt64 {
        fingerprint(names.sequences.flatMap { $0 + [-1] } + names.labels.flatMap { $0 + [-1] })
    }
}
