// MARK: - What a training run is given: one Codable value for text and names models

import Foundation

/// Everything that decides a training run, for a language model (`TextTrainer`) or a names
/// model (`NamesTrainer`). The defaults are those of `charrnn train`; `namesClassifier` and
/// `namesGenerator` give those of the name commands. Stored in the resume file, so a resumed
/// run continues with the same values.
public struct TrainingConfiguration: Codable, Equatable, Sendable {
    // MARK: The network
    /// The recurrent cell: Elman (PyTorch's `nn.RNN`, tanh), LSTM or GRU.
    public var cell: CellKind = .rnnTanh
    /// Units in each layer's hidden state (H).
    public var hiddenSize = 256
    /// Stacked recurrent layers.
    public var layers = 1
    /// Dropout between stacked layers during training (PyTorch's `dropout`); 0: none.
    public var dropout: Float = 0
    /// A language model's decoder: nil for the linear one (`nn.Linear`), or an adaptive softmax
    /// (`nn.AdaptiveLogSoftmaxWithLoss`, `--decoder adaptive`), whose cutoffs must lie below the
    /// vocabulary size. It relies on ids sorted by frequency, as ``TextCorpus`` numbers them.
    public var decoder: AdaptiveSoftmax? = nil

    // MARK: The text
    /// What a letter is: a grapheme cluster or an ICU word.
    public var unit: TokenUnit = .grapheme
    /// Keep letter case, or lowercase the text first.
    public var caseMapping: CaseMapping = .preserve
    /// Letters seen fewer times than this become the unknown token (1: keep every letter).
    public var minCount = 1
    /// Keep at most this many letters, the most frequent (nil: all).
    public var maxVocabulary: Int? = nil
    /// Share held out for validation: the last part of a text (whole paragraphs), or a stratified
    /// share of each category's names.
    public var validationFraction = 0.05
    /// Read invalid UTF-8 in the data as U+FFFD instead of stopping at it.
    public var lossy = false

    // MARK: The updates
    /// Parallel streams per batch (text), or names per batch.
    public var batchSize = 32
    /// Steps of backpropagation through time per batch (text only).
    public var sequenceLength = 64
    /// The update rule.
    public var optimizer: OptimizerKind = .adam
    /// The learning rate.
    public var learningRate: Float = 2e-3
    /// Gradient limit before each update: a global L2 norm of 5, as char-rnn's default.
    public var clipping: GradientClipping = .globalNorm(5)
    /// Step decay: the learning rate times `decay` every `every` updates (decay 1: none).
    public var stepDecay = LearningRateSchedule()
    /// The learning rate times this after each validation that does not improve (1: never).
    public var plateauFactor: Float = 0.5
    /// Classifiers: how the loss makes up for categories of different sizes.
    public var balance: ClassBalance = .none
    /// SGD's momentum (nil: 0.9; the PyTorch tutorial's plain SGD is 0).
    public var momentum: Float? = nil
    /// Names: how each mini-batch's examples are drawn (nil: shuffled epochs).
    public var sampling: ExampleSampling? = nil

    // MARK: When to stop
    /// Updates in all, counting those before a resume (nil: no limit).
    public var steps: Int? = nil
    /// Passes over the training data in all (nil: no limit).
    public var epochs: Int? = nil
    /// Seconds of training in this run (nil: no limit).
    public var maxTime: Double? = nil
    /// Validations in a row without a better held-out loss after which training stops (0: never).
    public var patience = 4
    /// How much a held-out loss must fall below the best, as a share of it, to count as better
    /// for the plateau and patience rules (the best model is kept on any decrease): 0.1%, so that
    /// a learning rate halved many times cannot keep a run alive on gains of 1e-6.
    public var minimumImprovement = 0.001
    /// Updates between validations (nil: text, an epoch but at most 1,000, or 1/20 of a step
    /// limit; names, an epoch).
    public var validateEvery: Int? = nil

    // MARK: Repeatability
    /// Threads each batch is split across; the sums, and so the weights, depend on it (nil: all
    /// cores).
    public var threads: Int? = nil
    /// Seed of the initial weights, dropout masks, and the names' split and order.
    public var rngSeed: UInt64 = 0

    /// `charrnn train`'s defaults.
    public init() {}

    /// `charrnn train`'s defaults with a model's network and text settings (cell, sizes, unit,
    /// case): what fine-tuning it keeps.
    ///
    /// - Parameter metadata: the model's metadata; its cell, hidden size, layer count, unit and
    ///   case mapping are copied, everything else keeps `charrnn train`'s default.
    public init(model metadata: ModelMetadata) {
        cell = metadata.cell
        hiddenSize = metadata.hiddenSize
        layers = metadata.numLayers
        unit = metadata.unit
        caseMapping = metadata.caseMapping
        decoder = metadata.decoder
    }

    /// `charrnn train-classifier`'s defaults: a GRU of 128 units, names lowercased, 10% of each
    /// category held out, at most 30 epochs.
    public static var namesClassifier: TrainingConfiguration {
        var c = TrainingConfiguration()
        c.cell = .gru
        c.hiddenSize = 128
        c.caseMapping = .lower
        c.validationFraction = 0.1
        c.epochs = 30
        c.minimumImprovement = 0  // as the shipped names models were trained and measured
        return c
    }

    /// `charrnn train-generator`'s defaults: an Elman RNN of 128 units, case kept, 10% held out,
    /// at most 30 epochs.
    public static var namesGenerator: TrainingConfiguration {
        var c = namesClassifier
        c.cell = .rnnTanh
        c.caseMapping = .preserve
        return c
    }

    /// The 2017 PyTorch char-RNN classification tutorial's recipe (`--recipe pytorch-tutorial`):
    /// its `SimpleRNN` (the tutorial cell) of 128 units, one name per update drawn as the
    /// tutorial draws them (a category uniformly, then one of its names), plain SGD at 0.005
    /// without clipping, 100,000 updates, letter case kept. charrnn's own parts stay: 10% of
    /// each category held out, a validation every 5,000 updates (the tutorial's `print_every`)
    /// that keeps the best model, but no plateau decay and no early stop.
    public static var pytorchTutorial: TrainingConfiguration {
        var c = namesClassifier
        c.cell = .tutorial
        c.hiddenSize = 128  // n_hidden
        c.caseMapping = .preserve  // all_letters has both cases
        c.batchSize = 1  // one name per train() call
        c.optimizer = .sgd
        c.momentum = 0  // p.data.add_(p.grad.data, alpha=-learning_rate)
        c.learningRate = 0.005
        c.clipping = .none
        c.sampling = .categoryUniform  // randomTrainingExample
        c.balance = .none
        c.steps = 100_000  // n_iters
        c.epochs = nil
        c.plateauFactor = 1
        c.patience = 0
        c.validateEvery = 5_000  // print_every
        return c
    }

    /// The thread count to use: `threads`, or every core.
    public var resolvedThreads: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }

    /// The numerical settings of the trainers (``TrainingSettings``): batch, sequence length,
    /// optimizer and learning rate, clipping, step decay, threads, seed and dropout.
    public var settings: TrainingSettings {
        var s = TrainingSettings()
        s.batchSize = batchSize
        s.sequenceLength = sequenceLength
        s.optimizer = OptimizerSettings(kind: optimizer, learningRate: learningRate)
        if let momentum { s.optimizer.momentum = momentum }
        if let sampling { s.sampling = sampling }
        s.clipping = clipping
        s.schedule = stepDecay
        s.threads = resolvedThreads
        s.seed = rngSeed
        s.dropout = dropout
        return s
    }

    /// The stopping rules, validating every `every` updates.
    func rules(validatingEvery every: Int) -> StoppingRules {
        StoppingRules(steps: steps, epochs: epochs, maxTime: maxTime, patience: patience, plateauFactor: plateauFactor,
                      minimumImprovement: minimumImprovement, validateEvery: every)
    }

    /// Checks that a resumed run changes only what may change between runs: the limits (steps,
    /// epochs, time, patience, plateau factor, minimum improvement), the validation interval,
    /// the learning rate and its step decay, the gradient clipping, and `lossy`.
    ///
    /// - Throws: ``CharRNNError`` naming the first other setting that differs from `stored`.
    public func checkResumable(from stored: TrainingConfiguration, file: String) throws {
        var same = self, stored = stored
        (same.threads, stored.threads) = (resolvedThreads, stored.resolvedThreads)
        same.lossy = stored.lossy  // how the data is read; a resumed run checks that it is the same data
        (same.clipping, same.steps, same.epochs, same.maxTime) = (stored.clipping, stored.steps, stored.epochs, stored.maxTime)
        (same.patience, same.plateauFactor, same.minimumImprovement) = (stored.patience, stored.plateauFactor,
                                                                         stored.minimumImprovement)
        (same.validateEvery, same.learningRate, same.stepDecay) = (stored.validateEvery, stored.learningRate, stored.stepDecay)
        guard same != stored else { return }
        let given = Mirror(reflecting: same).children, was = Mirror(reflecting: stored).children
        let name = zip(given, was).first { "\($0.value)" != "\($1.value)" }.flatMap(\.0.label) ?? "a setting"
        throw CharRNNError("\(file) was trained with another \(name); a resumed run may change only its limits, "
            + "validation interval, learning rate and clipping")
    }

    /// Checks every value; the error names the option as the command line spells it.
    ///
    /// ``TextTrainer`` and ``NamesTrainer`` call it before anything else.
    ///
    /// - Throws: ``CharRNNError`` for the first value out of range: a size, count or limit
    ///   below 1, a negative `patience`, a `maxVocabulary` below 2, a learning rate that is not
    ///   positive, a decay or plateau factor outside (0, 1], a validation share or dropout
    ///   outside [0, 1), a `maxTime` that is not positive, a global-norm clip below 0 or a
    ///   per-value clip that is not positive.
    public func validate() throws {
        let positive: [(String, Int?)] = [
            ("--hidden", hiddenSize), ("--layers", layers), ("--seq-length", sequenceLength), ("--batch-size", batchSize),
            ("--threads", threads), ("--steps", steps), ("--epochs", epochs), ("--min-count", minCount),
            ("--lr-decay-every", stepDecay.every), ("--eval-every", validateEvery),
        ]
        for (name, value) in positive { if let value, value < 1 { throw CharRNNError("\(name) must be at least 1") } }
        let largest: [(String, Int?, Int)] = [
            ("--hidden", hiddenSize, Limits.hiddenSize), ("--layers", layers, Limits.layers),
            ("--batch-size", batchSize, Limits.batchSize), ("--seq-length", sequenceLength, Limits.sequenceLength),
            ("--threads", threads, Limits.threads), ("--max-vocab", maxVocabulary, Limits.vocabulary),
        ]
        for (name, value, limit) in largest {
            if let value, value > limit { throw CharRNNError("\(name) must be at most \(limit)") }
        }
        if patience < 0 { throw CharRNNError(option: "patience", "must be 0 (never stop early) or more") }
        if let maxVocabulary, maxVocabulary < 2 { throw CharRNNError(option: "max-vocab", "must be at least 2") }
        if !(learningRate > 0 && learningRate.isFinite) { throw CharRNNError(option: "lr", "must be a positive number") }
        if !(stepDecay.decay > 0 && stepDecay.decay <= 1) { throw CharRNNError(option: "lr-decay", "must be in (0, 1]") }
        if !(plateauFactor > 0 && plateauFactor <= 1) { throw CharRNNError(option: "lr-plateau", "must be in (0, 1]") }
        if !(minimumImprovement >= 0 && minimumImprovement < 1) { throw CharRNNError(option: "min-improvement", "must be in [0, 1)") }
        if !(validationFraction >= 0 && validationFraction < 1) { throw CharRNNError(option: "val-fraction", "must be in [0, 1)") }
        if !(dropout >= 0 && dropout < 1) { throw CharRNNError(option: "dropout", "must be in [0, 1)") }
        if let momentum, !(momentum >= 0 && momentum < 1) { throw CharRNNError(option: "momentum", "must be in [0, 1)") }
        if cell == .tutorial && layers != 1 {
            throw CharRNNError("--cell tutorial has one layer, as the PyTorch tutorial's SimpleRNN: drop --layers \(layers)")
        }
        if cell == .tutorial && decoder != nil {
            throw CharRNNError("--cell tutorial has its own output layer (i2o, read from the input and the previous state): "
                + "drop --decoder adaptive", option: "decoder")
        }
        if cell == .tutorial && dropout > 0 {
            throw CharRNNError("--cell tutorial has one layer, so no dropout between layers: drop --dropout")
        }
        if let maxTime, !(maxTime > 0 && maxTime.isFinite) { throw CharRNNError(option: "max-time", "must be a positive number of seconds") }
        switch clipping {
        case .none: break
        case .globalNorm(let x): if !(x >= 0 && x.isFinite) { throw CharRNNError(option: "clip", "must be a number, 0 or more") }
        case .value(let x): if !(x > 0 && x.isFinite) { throw CharRNNError(option: "clip-value", "must be a positive number") }
        }
    }

    /// The facts a model's `training` record keeps of these settings.
    var record: [String: JSONValue] {
        var record: [String: JSONValue] = [
            "seed": .number(Double(rngSeed)), "batch_size": .number(Double(batchSize)),
            "optimizer": .string(optimizer.rawValue), "lr": .number(Double("\(learningRate)") ?? 0),
            "threads": .number(Double(resolvedThreads)), "patience": .number(Double(patience)),
        ]
        switch clipping {
        case .none: record["clip"] = .number(0)
        case .globalNorm(let x): record["clip"] = .number(Double(x))
        case .value(let x): record["clip_value"] = .number(Double(x))
        }
        if stepDecay.decay != 1 {
            record["lr_decay"] = .number(Double("\(stepDecay.decay)") ?? 0)
            record["lr_decay_every"] = .number(Double(stepDecay.every))
        }
        if plateauFactor != 1 { record["lr_plateau"] = .number(Double("\(plateauFactor)") ?? 0) }
        if dropout > 0 { record["dropout"] = .number(Double("\(dropout)") ?? 0) }  // 0.1, not 0.10000000149
        if let momentum, optimizer == .sgd { record["momentum"] = .number(Double("\(momentum)") ?? 0) }
        if let sampling { record["sampling"] = .string(sampling.rawValue) }
        return record
    }
}
