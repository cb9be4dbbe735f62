// MARK: - Training a language model on a text file: start, resume, checkpoints

import Foundation

/// How a training run ended, and what it kept: what ``TextTrainer/run(out:cancel:lock:events:)`` and
/// ``NamesTrainer/run(out:cancel:lock:events:)`` return.
public struct TrainingSummary: Sendable {
    /// Why the run stopped.
    public var outcome: TrainingOutcome
    /// Updates made in all (resumed runs included).
    public var steps: Int
    /// Seconds of training in all (resumed runs included).
    public var seconds: Double
    /// The best held-out loss (nats per token; a classifier's, per name): the model `out`
    /// holds. Nil when nothing was validated.
    public var bestLoss: Double?
    /// The update after which ``bestLoss`` was measured.
    public var bestStep: Int?
    /// The training loss of the last history row that has one: the mean over the updates since
    /// the row before it (nats per token).
    public var lastTrainLoss: Double?
    /// Tokens (a classifier's: names) per second over the last interval between history rows.
    public var tokensPerSecond: Double

    /// The summary of a loop that ended with `outcome`.
    init(outcome: TrainingOutcome, loop: TrainingLoop) {
        let state = loop.state
        self.outcome = outcome
        steps = loop.step
        seconds = state.seconds
        bestLoss = state.bestLoss
        bestStep = state.bestStep
        lastTrainLoss = state.history.last { $0.trainLoss != nil }?.trainLoss
        tokensPerSecond = state.history.last?.tokensPerSecond ?? 0
    }
}

/// Trains a language model on a text: char-rnn batching (B streams × T steps, state carried,
/// truncated BPTT), the last `validationFraction` held out, through the `TrainingLoop`.
///
/// `run(out:)` keeps the best model in `out` (rewritten atomically whenever validation improves)
/// and the latest state in `out + ".resume.safetensors"`, from which `init(resuming:…)`
/// continues so that a stopped and resumed run ends with the same weights as an unbroken one.
public final class TextTrainer {
    /// The settings this run was given.
    public let configuration: TrainingConfiguration
    /// The path of the text.
    public let corpusPath: String
    /// The text as ids, with its vocabulary: its own for a new model, the model's when
    /// fine-tuning or resuming.
    public let corpus: TextCorpus
    /// The text's `fingerprint`, kept in every resume file: computed once, not at each save.
    private lazy var corpusHash = fingerprint(corpus.ids)
    /// The ids trained on and those held out: the corpus cut at
    /// ``TextCorpus/validationStart(fraction:)``.
    public let training: [Int32], validation: [Int32]
    /// The share of the text held out (the stored one when resuming).
    public let validationFraction: Double
    /// The model as it will be written (its `training` record is filled in at each save).
    public private(set) var metadata: ModelMetadata
    /// What the loop trains: the network, its optimizer, the batches (B streams × T steps) and
    /// the carried hidden state.
    public let objective: LanguageModelTrainer
    /// The loop that makes the updates, with its stopping rules and state.
    public let loop: TrainingLoop
    /// The step a resumed run started from (nil: a new run).
    public let resumedFrom: Int?
    /// The model fine-tuned from, if any.
    public let initFrom: String?
    private let record: [String: JSONValue]

    /// The network being trained.
    public var network: RecurrentNetwork { objective.network }

    /// A new run from random weights (seeded by `rngSeed`), or from `initFrom`'s weights and
    /// vocabulary (fine-tuning: letters it lacks become its unknown token, or an error).
    ///
    /// - Parameters:
    ///   - path: the text file to train on (UTF-8).
    ///   - configuration: the run's settings; when fine-tuning, the network and text settings
    ///     (cell, sizes, unit, case, vocabulary limits) are the model's and these are ignored.
    ///   - initFrom: a language model's file to start from, or nil for random weights.
    /// - Throws: ``CharRNNError`` when a setting is out of range, `initFrom` is not a language
    ///   model, the text has letters the model lacks and it has no unknown token, or the
    ///   training part of the text is shorter than one batch; ``ModelFileError``,
    ///   ``TextInputError``, ``ICUError`` or ``VocabularyError`` when a file cannot be read.
    /// - Complexity: one pass over the text to read it.
    public init(corpus path: String, configuration: TrainingConfiguration, initFrom: String? = nil) throws {
        try configuration.validate()
        var configuration = configuration
        corpusPath = path
        var network: RecurrentNetwork
        if let initFrom {
            let model = try ModelFile(contentsOf: initFrom)
            guard model.metadata.task == .languageModel else {
                throw CharRNNError("\(initFrom): a \(model.metadata.task.rawValue) model; fine-tuning needs a language model")
            }
            // The model brings its network and its text settings.
            let m = TrainingConfiguration(model: model.metadata)
            (configuration.cell, configuration.hiddenSize, configuration.layers) = (m.cell, m.hiddenSize, m.layers)
            (configuration.unit, configuration.caseMapping) = (m.unit, m.caseMapping)
            configuration.decoder = m.decoder
            corpus = try TextCorpus(path: path, model: model.metadata, lossy: configuration.lossy)
            network = model.network
            metadata = model.metadata
        } else {
            corpus = try TextCorpus(path: path, configuration: configuration)
            let v = corpus.vocabulary.count
            if let decoder = configuration.decoder, let problem = decoder.problem(vocabularySize: v, hiddenSize: configuration.hiddenSize) {
                throw CharRNNError("--decoder adaptive: the decoder \(problem)")
            }
            let shape = NetworkShape(inputSize: v, hiddenSize: configuration.hiddenSize, layers: configuration.layers,
                                     outputSize: v, cell: configuration.cell, adaptiveSoftmax: configuration.decoder)
            try Self.checkMemory(shape, configuration)
            var rng = SeededGenerator(seed: configuration.rngSeed)
            network = RecurrentNetwork(shape: shape, rng: &rng)
            metadata = try ModelMetadata(
                task: .languageModel, cell: configuration.cell, hiddenSize: configuration.hiddenSize,
                numLayers: configuration.layers, unit: configuration.unit, caseMapping: configuration.caseMapping,
                vocab: corpus.vocabulary.tokens, unknownToken: corpus.vocabulary.unknownToken,
                decoder: configuration.decoder)
        }
        if initFrom != nil { try Self.checkMemory(network.shape, configuration) }
        self.configuration = configuration
        validationFraction = configuration.validationFraction
        (training, validation) = corpus.split(validationFraction: validationFraction)
        objective = LanguageModelTrainer(network: network, settings: configuration.settings,
                                         batcher: try Self.batcher(training, configuration, path))
        if validation.count < 2 && configuration.steps == nil && configuration.epochs == nil && configuration.maxTime == nil {
            throw CharRNNError("nothing of \(path) is held out, so nothing says when to stop: give --steps, --epochs or "
                + "--max-time, or a --val-fraction above 0")
        }
        objective.validation = validation
        let every = configuration.validateEvery ?? Self.defaultValidateEvery(configuration, stepsPerEpoch: objective.stepsPerEpoch)
        loop = TrainingLoop(objective: objective, rules: configuration.rules(validatingEvery: every))
        resumedFrom = nil
        self.initFrom = initFrom
        record = Self.record(configuration, corpus: path, initFrom: initFrom)
    }

    /// Continues the run saved in `resumePath` on the same text.
    ///
    /// The network, optimizer state, data position, carried hidden state and the loop's state
    /// come from the file, so the run makes the same updates as one that never stopped.
    ///
    /// - Parameters:
    ///   - resumePath: the resume file, ``resumeFilePath(out:)`` of the run's model file.
    ///   - path: the text the run was trained on; it must be the same text, token for token.
    ///   - configuration: the stored configuration (``storedConfiguration(_:)``) with new limits,
    ///     validation interval or learning rate; nil: the stored one as it is.
    /// - Throws: ``CharRNNError`` when the file is missing or its progress is unreadable, the
    ///   configuration changes more than ``TrainingConfiguration/checkResumable(from:file:)``
    ///   allows, the text is not the one trained on, or the optimizer or hidden state do not fit
    ///   the model; ``ModelFileError`` when the resume file cannot be read; ``TextInputError``,
    ///   ``ICUError`` or ``VocabularyError`` when the text cannot be read.
    /// - Complexity: one pass over the text to read and check it.
    public init(resuming resumePath: String, corpus path: String, configuration: TrainingConfiguration? = nil) throws {
        let (file, progress) = try Self.stored(resumePath)
        let stored = Self.storedConfiguration(file, progress)
        var configuration = configuration ?? stored
        // The vocabulary comes from the model: the settings that built it do not matter now.
        (configuration.minCount, configuration.maxVocabulary) = (stored.minCount, stored.maxVocabulary)
        try configuration.validate()
        try configuration.checkResumable(from: stored, file: resumePath)
        self.configuration = configuration
        corpusPath = path
        corpus = try TextCorpus(path: path, model: file.model.metadata, lossy: configuration.lossy)
        guard corpus.ids.count == progress.corpusTokens, fingerprint(corpus.ids) == progress.corpusHash else {
            throw CharRNNError("\(path) is not the text \(resumePath) was trained on (\(corpus.ids.count) tokens, "
                + "expected \(progress.corpusTokens)); give the same --corpus, or start over without --resume")
        }
        validationFraction = progress.validationFraction
        (training, validation) = corpus.split(validationFraction: validationFraction)
        var batcher = try Self.batcher(training, configuration, path)
        batcher.position = progress.position
        batcher.epoch = progress.epoch
        objective = LanguageModelTrainer(network: file.model.network, settings: configuration.settings, batcher: batcher)
        objective.validation = validation
        guard file.optimizerFirst.count == objective.optimizer.first.count,
            file.optimizerSecond.count == objective.optimizer.second.count,
            file.carriedState.count == objective.carriedState().count,
            file.carriedState.allSatisfy({ $0.count == stored.batchSize * file.model.network.shape.hiddenSize })
        else { throw CharRNNError("\(resumePath): its optimizer or hidden state does not fit the model; start over") }
        objective.optimizer.restore(step: file.optimizerStep, first: file.optimizerFirst, second: file.optimizerSecond)
        objective.restoreCarriedState(file.carriedState)
        metadata = file.model.metadata
        var state = progress.loop ?? LoopState()
        if progress.loop == nil {  // a file from before the loop state: its best, history and time
            state.history = progress.history
            state.bestLoss = progress.bestValidation
            state.bestStep = progress.bestStep
            state.seconds = progress.seconds
        }
        let every = configuration.validateEvery ?? progress.validateEvery
            ?? Self.defaultValidateEvery(configuration, stepsPerEpoch: objective.stepsPerEpoch)
        loop = TrainingLoop(objective: objective, rules: configuration.rules(validatingEvery: every), state: state)
        resumedFrom = file.optimizerStep
        initFrom = nil
        record = Self.record(configuration, corpus: path, initFrom: nil)
    }

    /// What a resume file holds: the model, the optimizer, and the run's progress.
    static func stored(_ resumePath: String) throws -> (file: ResumeFile, progress: TrainingProgress) {
        guard FileManager.default.fileExists(atPath: resumePath) else {
            throw CharRNNError("\(resumePath) does not exist; run without --resume to start training")
        }
        let file = try ResumeFile(contentsOf: resumePath)
        do { return (file, try JSONDecoder().decode(TrainingProgress.self, from: Data(file.progress.utf8))) } catch {
            throw CharRNNError("\(resumePath): its training progress is unreadable (\(error)); start over without --resume")
        }
    }

    /// The configuration the run in a resume file was started with: its model and settings
    /// (for files written before the plateau and patience rules, neither, so that they resume as
    /// they ran). `maxTime` is nil: it counts one run only.
    ///
    /// - Parameter resumePath: the resume file, ``resumeFilePath(out:)`` of the run's model file.
    /// - Returns: a configuration to change the limits of and pass to
    ///   ``init(resuming:corpus:configuration:)``.
    /// - Throws: ``CharRNNError`` when the file does not exist or its progress cannot be
    ///   decoded; ``ModelFileError`` when it cannot be read or its tensors do not fit its model.
    public static func storedConfiguration(_ resumePath: String) throws -> TrainingConfiguration {
        let (file, progress) = try stored(resumePath)
        return storedConfiguration(file, progress)
    }

    static func storedConfiguration(_ file: ResumeFile, _ progress: TrainingProgress) -> TrainingConfiguration {
        let s = progress.settings
        var c = TrainingConfiguration(model: file.model.metadata)
        c.validationFraction = progress.validationFraction
        c.batchSize = s.batchSize
        c.sequenceLength = s.sequenceLength
        c.optimizer = s.optimizer.kind
        c.learningRate = s.optimizer.learningRate
        c.clipping = s.clipping
        c.stepDecay = s.schedule
        c.threads = s.threads
        c.rngSeed = s.seed
        c.dropout = s.dropout
        c.validateEvery = progress.rules?.validateEvery ?? progress.validateEvery
        c.patience = progress.rules?.patience ?? 0
        c.plateauFactor = progress.rules?.plateauFactor ?? 1
        c.minimumImprovement = progress.rules?.minimumImprovement ?? 0
        c.steps = progress.rules?.steps
        c.epochs = progress.rules?.epochs
        return c
    }

    /// The entropy of the training text's letter frequencies (nats per token): the loss of a
    /// model that knows only how common each letter is. A trained model should be well below.
    public var unigramBaseline: Double { unigramEntropy(training, vocabularySize: corpus.vocabulary.count) }

    /// Trains until a limit, early stopping, divergence or cancellation, saving the best model
    /// to `out` and the latest state to its resume file at each validation.
    ///
    /// - Parameters:
    ///   - out: the model file (the best by validation loss; the latest when nothing is held out).
    ///   - cancel: set it to stop after the current update (the state is saved first).
    ///   - lock: the caller's ``OutputLock`` on `out`, taken before it read the data; nil: the
    ///     run takes its own for its life (another run writing `out` makes it throw at once).
    ///   - events: the loop's events, after the trainer has saved what they call for.
    /// - Returns: how the run ended, its steps and seconds in all, and the best held-out loss.
    /// - Throws: an error thrown by `events`, which ends the run; ``ModelFileError`` when the
    ///   model or resume file cannot be written. A loss that is not finite does not throw: the
    ///   run ends with ``TrainingOutcome/diverged(step:)``.
    /// - Complexity: per update, a forward and backward pass over B streams × T steps (split
    ///   across `threads`); per validation, a forward pass over the held-out text and two file
    ///   writes (the model when it improved, and the resume file).
    public func run(out: String, cancel: CancellationToken = CancellationToken(), lock: OutputLock? = nil,
                    events: (TrainingEvent) throws -> Void = { _ in }) throws -> TrainingSummary
    {
        let resumePath = resumeFilePath(out: out)
        try checkOutputs([OutputFile(out, option: "--out"), OutputFile(resumePath, option: "the resume file")],
                         inputs: [(corpusPath, "--corpus")] + (initFrom.map { [($0, "--init-from")] } ?? []))
        let ownLock = lock == nil ? try OutputLock(for: out) : nil
        defer { ownLock?.release() }
        let outcome = try loop.run(cancel: cancel) { event in
            switch event {
            case .validated(_, _, let improved):
                if improved { try saveModel(to: out) }
            case .recorded:
                if validation.count < 2 { try saveModel(to: out) }  // nothing held out: the latest is the best
                try saveResume(to: resumePath)
            case .step, .plateau:
                break
            }
            try events(event)
        }
        return TrainingSummary(outcome: outcome, loop: loop)
    }

    /// The model's `training` record as of now.
    private var trainingRecord: [String: JSONValue] {
        var record = self.record
        let state = loop.state
        record["steps"] = .number(Double(loop.step))
        record["seconds"] = .number(loop.elapsed)
        if let best = state.bestLoss {
            record["val_nats_per_token"] = .number(best)
            record["val_bits_per_token"] = .number(best / log(2))
            record["best_step"] = .number(Double(state.bestStep ?? loop.step))
        }
        return record
    }

    private func saveModel(to path: String) throws {
        var metadata = self.metadata
        metadata.training = trainingRecord
        try ModelFile(network: network, metadata: metadata).write(to: path)
    }

    private func saveResume(to path: String) throws {
        var metadata = self.metadata
        metadata.training = trainingRecord
        let state = loop.state
        let progress = TrainingProgress(
            settings: objective.settings, corpusTokens: corpus.ids.count, corpusHash: corpusHash,
            validationFraction: validationFraction, position: objective.batcher.position, epoch: objective.batcher.epoch,
            bestValidation: state.bestLoss, bestStep: state.bestStep, history: [], seconds: loop.elapsed,
            validateEvery: loop.rules.validateEvery, rules: loop.rules, loop: state)
        let json = String(decoding: try JSONEncoder().encode(progress), as: UTF8.self)
        try ResumeFile(model: ModelFile(network: network, metadata: metadata), optimizerStep: objective.optimizer.step,
                       optimizerFirst: objective.optimizer.first.array, optimizerSecond: objective.optimizer.second.array,
                       carriedState: objective.carriedState(), progress: json).write(to: path)
    }

    private static func batcher(_ training: [Int32], _ c: TrainingConfiguration, _ path: String) throws -> TextBatcher {
        do { return try TextBatcher(tokens: training, batch: c.batchSize, steps: c.sequenceLength) } catch {
            throw CharRNNError("\(path): \(error)")
        }
    }

    /// Refuses a run that would not fit in memory.
    static func checkMemory(_ shape: NetworkShape, _ c: TrainingConfiguration) throws {
        try MemoryNeed.training(shape, batch: c.batchSize, steps: c.sequenceLength, threads: c.resolvedThreads)
            .check(what: "training \(shape.layers) layer(s) of \(shape.hiddenSize) units on \(shape.outputSize) letters, "
                + "\(c.batchSize) × \(c.sequenceLength) per batch,", advice: "lower --hidden, --batch-size or --seq-length")
    }

    /// Validation every 1/20 of a step limit (at most 1,000 updates); with no step limit, every
    /// epoch, but at least every 1,000 updates.
    static func defaultValidateEvery(_ c: TrainingConfiguration, stepsPerEpoch: Int) -> Int {
        let byEpochs = c.epochs.map { $0.multipliedReportingOverflow(by: stepsPerEpoch) }.map { $0.overflow ? Int.max : $0.partialValue }
        if let total = [c.steps, byEpochs].compactMap({ $0 }).min() { return max(1, min(1000, total / 20)) }
        return max(1, min(1000, stepsPerEpoch))
    }

    private static func record(_ c: TrainingConfiguration, corpus: String, initFrom: String?) -> [String: JSONValue] {
        var record = c.record
        record["corpus"] = .string(corpus)
        record["seq_length"] = .number(Double(c.sequenceLength))
        if let initFrom { record["init_from"] = .string(initFrom) }
        return record
    }
}
