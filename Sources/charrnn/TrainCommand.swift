// MARK: - charrnn train

import ArgumentParser
import Foundation
import Model
import Tensor
import Tokenizer
import Training

/// The recurrent cell, as the command line names it.
enum CellOption: String, ExpressibleByArgument, CaseIterable {
    case rnn, lstm, gru

    /// The model file's name for it.
    var kind: CellKind {
        switch self {
        case .rnn: .rnnTanh
        case .lstm: .lstm
        case .gru: .gru
        }
    }

    init(_ kind: CellKind) { self = Self.allCases.first { $0.kind == kind }! }
}

/// Checks a --dropout value, and says when it cannot act (PyTorch's rule: only between layers).
func checkDropout(_ dropout: Float?, layers: Int) throws {
    guard let dropout else { return }
    if !(dropout >= 0 && dropout < 1) { throw ValidationError("--dropout must be in [0, 1)") }
    if dropout > 0 && layers < 2 {
        printNote("--dropout acts between stacked layers only (as PyTorch's); with --layers 1 it changes nothing")
    }
}

extension OptimizerKind: ExpressibleByArgument {}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a character-level language model on a text file.",
        discussion: """
            The corpus is read as UTF-8, brought to NFC and cut into letters (grapheme clusters, \
            or words with --unit word). The last --val-fraction of it, starting at a paragraph \
            (a blank line), is held out for validation. Training runs truncated backpropagation \
            through time over --batch-size parallel streams of --seq-length steps, carrying the \
            hidden state from one batch to the next, as char-rnn does. Every --eval-every steps \
            the validation loss is measured; --out always holds the best model so far, and \
            <out>.resume.safetensors the latest state, from which --resume continues exactly. \
            Ctrl-C saves and stops.
            """
    )

    // Model and data. Optional values are "not given": a resumed or fine-tuned run keeps the
    // stored ones and refuses a different value.
    @Option(help: "The UTF-8 text to learn from.")
    var corpus: String

    @Option(help: "Where to write the best model (a .safetensors file).")
    var out: String

    @Option(help: "The recurrent cell: rnn (Elman, tanh), lstm or gru (default rnn).")
    var cell: CellOption?

    @Option(help: "Hidden units per layer (default 256).")
    var hidden: Int?

    @Option(help: "Stacked recurrent layers (default 1).")
    var layers: Int?

    @Option(help: "Dropout between stacked layers during training, 0 to 1 (default 0).")
    var dropout: Float?

    @Option(help: "What a letter is: grapheme or word (default grapheme).")
    var unit: TokenUnit?

    @Option(name: .customLong("case"), help: "Keep letter case (preserve) or lowercase the corpus (lower).")
    var caseMapping: CaseMapping?

    @Option(name: .customLong("max-vocab"),
            help: "Keep at most this many letters (the most frequent); the rest become an unknown token.")
    var maxVocab: Int?

    @Option(name: .customLong("min-count"),
            help: "Letters seen fewer times than this become an unknown token (default 1: keep all).")
    var minCount: Int?

    @Option(name: .customLong("val-fraction"), help: "Share of the corpus held out for validation (default 0.05).")
    var valFraction: Double?

    // Training.
    @Option(name: .customLong("seq-length"), help: "Time steps per batch (truncated backpropagation length; default 64).")
    var seqLength: Int?

    @Option(name: .customLong("batch-size"), help: "Parallel streams per batch (default 32).")
    var batchSize: Int?

    @Option(help: "Training steps in all, counting steps before a --resume. Default: one epoch.")
    var steps: Int?

    @Option(help: "Passes over the training text (instead of --steps).")
    var epochs: Int?

    @Option(name: .customLong("max-time"), help: "Stop after this many seconds of training, keeping the best model.")
    var maxTime: Double?

    @Option(help: "Learning rate (default 0.002).")
    var lr: Float?

    @Option(help: "Update rule: adam, sgd (momentum 0.9), adagrad or rmsprop (default adam).")
    var optimizer: OptimizerKind?

    @Option(help: "Clip gradients to this global L2 norm; 0: no clipping (default 5).")
    var clip: Float?

    @Option(name: .customLong("clip-value"), help: "Clamp each gradient element to ± this value instead (char-rnn's grad_clip).")
    var clipValue: Float?

    @Option(name: .customLong("lr-decay"), help: "Multiply the learning rate by this every --lr-decay-every steps.")
    var lrDecay: Float?

    @Option(name: .customLong("lr-decay-every"), help: "Steps between learning-rate decays (default 1000).")
    var lrDecayEvery: Int?

    @Option(help: "Random seed of the initial weights; the same seed and --threads repeat a run exactly (default 0).")
    var seed: UInt64?

    @Option(help: "Threads to split each batch across (default: all cores).")
    var threads: Int?

    @Option(name: .customLong("eval-every"), help: "Steps between validations and checkpoints (default: 1/20 of the run, at most 1000).")
    var evalEvery: Int?

    // Continuing.
    @Flag(help: "Continue from <out>.resume.safetensors.")
    var resume = false

    @Option(name: .customLong("init-from"), help: "Start from this model's weights and vocabulary (fine-tuning).")
    var initFrom: String?

    // Output.
    @Option(name: .customLong("log"), help: "Write the training history (step, losses, learning rate, speed) to this CSV file.")
    var logFile: String?

    @Option(help: "Draw the training and validation curves to this SVG file.")
    var plot: String?

    @Option(help: "Output: text, or json (one summary document on stdout).")
    var format: ReportFormat = .text

    func validate() throws {
        if steps != nil && epochs != nil { throw ValidationError("give --steps or --epochs, not both") }
        if resume && initFrom != nil { throw ValidationError("give --resume or --init-from, not both") }
        let positive: [(String, Int?)] = [("--hidden", hidden), ("--layers", layers), ("--seq-length", seqLength),
                                          ("--batch-size", batchSize), ("--threads", threads), ("--steps", steps),
                                          ("--epochs", epochs), ("--max-vocab", maxVocab), ("--min-count", minCount),
                                          ("--lr-decay-every", lrDecayEvery), ("--eval-every", evalEvery)]
        for (name, value) in positive { if let value, value < 1 { throw ValidationError("\(name) must be at least 1") } }
        if let maxVocab, maxVocab < 2 { throw ValidationError("--max-vocab must be at least 2") }
        if let lr, !(lr > 0) { throw ValidationError("--lr must be positive") }
        if let clip, !(clip >= 0) { throw ValidationError("--clip must be 0 or more") }
        if let clipValue, !(clipValue > 0) { throw ValidationError("--clip-value must be positive") }
        if let lrDecay, !(lrDecay > 0 && lrDecay <= 1) { throw ValidationError("--lr-decay must be in (0, 1]") }
        if let valFraction, !(valFraction >= 0 && valFraction < 1) { throw ValidationError("--val-fraction must be in [0, 1)") }
        if let dropout, !(dropout >= 0 && dropout < 1) { throw ValidationError("--dropout must be in [0, 1)") }
        if let maxTime, !(maxTime > 0) { throw ValidationError("--max-time must be positive") }
    }

    var resumePath: String { out + ".resume.safetensors" }

    func run() throws {
        let wallStart = Date()
        let start = try resume ? resumedStart() : freshStart()
        let trainer = start.trainer
        let network = trainer.network

        // The facts the data determined, for "is my loss good?".
        let v = start.vocabulary.count
        let unigram = unigramEntropy(start.training, vocabularySize: v)
        printNote("\(corpus): \(start.training.count) training tokens, \(start.validation.count) held out; vocabulary "
            + "\(v)\(start.vocabulary.unknownToken != nil ? " (with an unknown token)" : ""); \(network.parameterCount) "
            + "parameters; \(trainer.batcher.batchesPerEpoch) steps per epoch")
        printNote(String(format: "baselines: uniform %.3f bits/token, letter frequencies only %.3f bits/token",
                         log2(Double(v)), unigram / log(2)))
        if !start.unknown.isEmpty {
            let total = start.unknown.reduce(0) { $0 + $1.count }
            let shown = start.unknown.prefix(5).map { "\(describeToken($0.token)) ×\($0.count)" }.joined(separator: ", ")
            printNote("\(start.unknown.count) rare letter(s) (\(total) occurrences) become the unknown token: \(shown)"
                + (start.unknown.count > 5 ? ", …" : ""))
        }
        let total = steps ?? (epochs ?? 1) * trainer.batcher.batchesPerEpoch
        guard total > trainer.step else {
            throw CommandError("the run is already at step \(trainer.step); give --steps above it to train further")
        }
        let every = evalEvery ?? start.evalEvery ?? max(1, min(1000, total / 20))
        let session = TrainingSession(trainer: trainer, validation: start.validation, totalSteps: total,
                                      validateEvery: every, history: start.history, best: start.best)
        session.maxTime = maxTime
        printNote("training steps \(trainer.step + 1)–\(total) on \(trainer.settings.threads) thread(s), "
            + "validating every \(every) steps" + (maxTime.map { ", for at most \(Int($0)) s" } ?? ""))

        var progress = ProgressReporter(total: total, startStep: trainer.step, every: max(1, min(every, total / 20)))
        let trainingStart = Date()
        let priorSeconds = start.seconds
        func record(_ extra: [String: JSONValue] = [:]) -> [String: JSONValue] {
            var record = start.record
            record["steps"] = .number(Double(trainer.step))
            record["seconds"] = .number(priorSeconds + Date().timeIntervalSince(trainingStart))
            if let best = session.bestValidation {
                record["val_nats_per_token"] = .number(best)
                record["val_bits_per_token"] = .number(best / log(2))
                record["best_step"] = .number(Double(session.bestStep ?? trainer.step))
            }
            return record.merging(extra) { $1 }
        }
        func saveBest() throws {
            var metadata = start.metadata
            metadata.training = record()
            try ModelFile(network: network, metadata: metadata).write(to: out)
        }
        func saveResume() throws {
            var metadata = start.metadata
            metadata.training = record()
            let state = TrainingProgress(
                settings: trainer.settings, corpusTokens: start.corpusTokens, corpusHash: start.corpusHash,
                validationFraction: start.validationFraction, position: trainer.batcher.position,
                epoch: trainer.batcher.epoch, bestValidation: session.bestValidation, bestStep: session.bestStep,
                history: session.history, seconds: priorSeconds + Date().timeIntervalSince(trainingStart),
                validateEvery: every)
            let json = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
            try ResumeFile(model: ModelFile(network: network, metadata: metadata), optimizerStep: trainer.optimizer.step,
                           optimizerFirst: trainer.optimizer.first.array, optimizerSecond: trainer.optimizer.second.array,
                           carriedState: trainer.carriedState(), progress: json).write(to: resumePath)
        }
        func saveHistory() throws {
            if let logFile { try writeHistoryCSV(session.history, to: logFile) }
            if let plot {
                let train = session.history.compactMap { p in p.trainLoss.map { LossPoint(step: p.step, bitsPerToken: $0 / log(2)) } }
                let validation = session.history.compactMap { p in p.validationLoss.map { LossPoint(step: p.step, bitsPerToken: $0 / log(2)) } }
                try lossPlotSVG(train: train, validation: validation, title: "charrnn train \(corpus)")
                    .write(toFile: plot, atomically: true, encoding: .utf8)
            }
        }

        catchStopSignals()
        let outcome = try session.run(
            events: { event in
                switch event {
                case .step(let step, let loss, let rate):
                    let epoch = Double(trainer.batcher.epoch) + Double(trainer.batcher.position)
                        / Double(trainer.batcher.batchesPerEpoch)
                    progress.step(step, loss: loss, rate: rate, epoch: epoch)
                case .validated(let step, let loss, let improved):
                    progress.validated(step: step, loss: loss, improved: improved)
                    if improved { try saveBest() }
                case .recorded:
                    if start.validation.count < 2 { try saveBest() }  // nothing held out: the latest is the best
                    try saveResume()
                    try saveHistory()
                }
            },
            shouldStop: { stopSignal.load(ordering: .relaxed) != 0 })
        progress.finish()

        switch outcome {
        case .diverged(let step):
            let best = session.bestStep.map { "\(out) keeps the best model (step \($0))" } ?? "no model was saved"
            throw CommandError("the loss became NaN or infinite at step \(step); \(best); lower --lr "
                + "(now \(trainer.settings.optimizer.learningRate)) or set --clip, and train again")
        case .interrupted:
            let signalName = stopSignal.load(ordering: .relaxed) == SIGTERM ? "SIGTERM" : "interrupted"
            printNote("\(signalName) at step \(trainer.step): saved \(resumePath)"
                + (session.bestStep != nil ? " and the best model in \(out)" : "") + "; continue with --resume")
            throw ExitCode(stopSignal.load(ordering: .relaxed) == SIGTERM ? 143 : 130)
        case .timeLimit:
            printNote("time limit reached at step \(trainer.step)")
        case .finished:
            break
        }
        let best = session.bestValidation
        printNote("wrote \(out)" + (best.map { String(format: " (best validation %.4f bits/token at step %d)", $0 / log(2), session.bestStep ?? 0) } ?? ""))

        if format == .json {
            let last = session.history.last
            var summary: [String: JSONValue] = [
                "steps": .number(Double(trainer.step)), "seconds": .number(Date().timeIntervalSince(wallStart)),
                "train_seconds": .number(Date().timeIntervalSince(trainingStart)),
                "tokens_per_second": .number(last?.tokensPerSecond ?? 0),
                "vocabulary": .number(Double(v)), "parameters": .number(Double(network.parameterCount)),
                "out": .string(out), "resume_file": .string(resumePath),
                "stopped": .string(outcome == .timeLimit ? "time limit" : "finished"),
            ]
            if let loss = session.history.last(where: { $0.trainLoss != nil })?.trainLoss {
                summary["train_nats_per_token"] = .number(loss)
                summary["train_bits_per_token"] = .number(loss / log(2))
            }
            if let best {
                summary["val_nats_per_token"] = .number(best)
                summary["val_bits_per_token"] = .number(best / log(2))
                summary["best_step"] = .number(Double(session.bestStep ?? 0))
            }
            printJSON(summary)
        }
    }

    // MARK: Starting points

    /// Everything a run starts from: data, model, trainer and what came before.
    struct Start {
        var vocabulary: Vocabulary
        var unknown: [(token: String, count: Int)]
        var training: [Int32]
        var validation: [Int32]
        var corpusTokens: Int
        var corpusHash: UInt64
        var validationFraction: Double
        var metadata: ModelMetadata
        var trainer: LanguageModelTrainer
        var history: [HistoryPoint] = []
        var best: (loss: Double, step: Int)?
        var seconds = 0.0
        var evalEvery: Int?
        var record: [String: JSONValue]
    }

    /// The settings of a new run (flags over the defaults), or of a resumed one (flags over the
    /// stored settings).
    private func settings(resuming stored: TrainingSettings? = nil) -> TrainingSettings {
        var s = stored ?? TrainingSettings()
        s.batchSize = batchSize ?? s.batchSize
        s.sequenceLength = seqLength ?? s.sequenceLength
        let kind = optimizer ?? s.optimizer.kind
        if kind != s.optimizer.kind || lr != nil {
            s.optimizer = OptimizerSettings(kind: kind, learningRate: lr ?? s.optimizer.learningRate)
        }
        if let clipValue { s.clipping = .value(clipValue) } else if let clip { s.clipping = clip > 0 ? .globalNorm(clip) : .none }
        s.schedule = LearningRateSchedule(decay: lrDecay ?? s.schedule.decay, every: lrDecayEvery ?? s.schedule.every)
        // A new run defaults to every core; a resumed one keeps its thread count (the gradient
        // sums, and so the weights, depend on it).
        s.threads = threads ?? stored?.threads ?? ProcessInfo.processInfo.activeProcessorCount
        s.seed = seed ?? s.seed
        s.dropout = dropout ?? s.dropout
        return s
    }

    private func trainingRecord(_ s: TrainingSettings) -> [String: JSONValue] {
        var record: [String: JSONValue] = [
            "corpus": .string(corpus), "seed": .number(Double(s.seed)), "batch_size": .number(Double(s.batchSize)),
            "seq_length": .number(Double(s.sequenceLength)), "optimizer": .string(s.optimizer.kind.rawValue),
            "lr": .number(Double(s.optimizer.learningRate)), "threads": .number(Double(s.threads)),
        ]
        switch s.clipping {
        case .none: record["clip"] = .number(0)
        case .globalNorm(let x): record["clip"] = .number(Double(x))
        case .value(let x): record["clip_value"] = .number(Double(x))
        }
        if s.schedule.decay != 1 {
            record["lr_decay"] = .number(Double(s.schedule.decay))
            record["lr_decay_every"] = .number(Double(s.schedule.every))
        }
        if s.dropout > 0 { record["dropout"] = .number(Double("\(s.dropout)") ?? 0) }  // 0.1, not 0.10000000149
        if let initFrom { record["init_from"] = .string(initFrom) }
        return record
    }

    /// A new run, from random weights or from --init-from.
    private func freshStart() throws -> Start {
        let settings = self.settings()
        let fraction = valFraction ?? 0.05
        let encoded: EncodedCorpus
        var network: RecurrentNetwork
        var metadata: ModelMetadata
        if let initFrom {
            let model = try ModelFile(contentsOf: initFrom)
            guard model.metadata.task == .languageModel else {
                throw CommandError("\(initFrom): a \(model.metadata.task.rawValue) model; --init-from needs a language model")
            }
            try refuseChanges(against: model.metadata, source: initFrom)
            encoded = try EncodedCorpus(path: corpus, model: model.metadata)
            if !encoded.unknown.isEmpty {
                printNote("\(corpus): \(encoded.unknown.count) letter(s) are not in \(initFrom)'s vocabulary and become "
                    + "its unknown token")
            }
            network = model.network
            metadata = model.metadata
        } else {
            encoded = try EncodedCorpus(path: corpus, unit: unit ?? .grapheme, caseMapping: caseMapping ?? .preserve,
                                        minCount: minCount ?? 1, maxVocabulary: maxVocab)
            let v = encoded.vocabulary.count
            var rng = SeededGenerator(seed: settings.seed)
            let cell = (self.cell ?? .rnn).kind
            try checkDropout(dropout, layers: layers ?? 1)
            network = RecurrentNetwork(shape: NetworkShape(inputSize: v, hiddenSize: hidden ?? 256, layers: layers ?? 1,
                                                           outputSize: v, cell: cell), rng: &rng)
            metadata = try ModelMetadata(
                task: .languageModel, cell: cell, hiddenSize: hidden ?? 256, numLayers: layers ?? 1,
                unit: TextUnit(rawValue: (unit ?? .grapheme).rawValue)!,
                textCase: TextCase(rawValue: (caseMapping ?? .preserve).rawValue)!,
                vocab: encoded.vocabulary.tokens, unknownToken: encoded.vocabulary.unknownToken)
        }
        let (training, validation) = split(encoded.ids, fraction: fraction, vocabulary: encoded.vocabulary)
        let batcher: TextBatcher
        do { batcher = try TextBatcher(tokens: training, batch: settings.batchSize, steps: settings.sequenceLength) } catch {
            throw CommandError("\(corpus): \(error)")
        }
        let trainer = LanguageModelTrainer(network: network, settings: settings, batcher: batcher)
        return Start(vocabulary: encoded.vocabulary, unknown: encoded.unknown, training: training, validation: validation,
                     corpusTokens: encoded.ids.count, corpusHash: fingerprint(encoded.ids), validationFraction: fraction,
                     metadata: metadata, trainer: trainer, record: trainingRecord(settings))
    }

    /// A run continued from <out>.resume.safetensors.
    private func resumedStart() throws -> Start {
        guard FileManager.default.fileExists(atPath: resumePath) else {
            throw CommandError("\(resumePath) does not exist; run without --resume to start training")
        }
        let file = try ResumeFile(contentsOf: resumePath)
        let progress: TrainingProgress
        do { progress = try JSONDecoder().decode(TrainingProgress.self, from: Data(file.progress.utf8)) } catch {
            throw CommandError("\(resumePath): its training progress is unreadable (\(error)); start over without --resume")
        }
        try refuseChanges(against: file.model.metadata, source: resumePath)
        let stored = progress.settings
        let wanted = settings(resuming: stored)
        for (flag, given, was) in [("--batch-size", batchSize, stored.batchSize), ("--seq-length", seqLength, stored.sequenceLength),
                                   ("--threads", threads, stored.threads)] where given != nil && given != was {
            throw CommandError("\(resumePath) was trained with \(flag) \(was); drop \(flag) to resume, or start over")
        }
        if let seed, seed != stored.seed { throw CommandError("\(resumePath) was trained with --seed \(stored.seed); drop --seed to resume") }
        if let valFraction, valFraction != progress.validationFraction {
            throw CommandError("\(resumePath) held out --val-fraction \(progress.validationFraction); drop --val-fraction to resume")
        }
        if let optimizer, optimizer != stored.optimizer.kind {
            throw CommandError("\(resumePath) was trained with --optimizer \(stored.optimizer.kind.rawValue); drop --optimizer to resume")
        }
        let encoded = try EncodedCorpus(path: corpus, model: file.model.metadata)
        guard encoded.ids.count == progress.corpusTokens, fingerprint(encoded.ids) == progress.corpusHash else {
            throw CommandError("\(corpus) is not the text \(resumePath) was trained on (\(encoded.ids.count) tokens, "
                + "expected \(progress.corpusTokens)); give the same --corpus, or start over without --resume")
        }
        let (training, validation) = split(encoded.ids, fraction: progress.validationFraction, vocabulary: encoded.vocabulary)
        var batcher: TextBatcher
        do { batcher = try TextBatcher(tokens: training, batch: wanted.batchSize, steps: wanted.sequenceLength) } catch {
            throw CommandError("\(corpus): \(error)")
        }
        batcher.position = progress.position
        batcher.epoch = progress.epoch
        let trainer = LanguageModelTrainer(network: file.model.network, settings: wanted, batcher: batcher)
        guard file.optimizerFirst.count == trainer.optimizer.first.count,
            file.optimizerSecond.count == trainer.optimizer.second.count,
            file.carriedState.allSatisfy({ $0.count == wanted.batchSize * file.model.network.shape.hiddenSize })
        else { throw CommandError("\(resumePath): its optimizer or hidden state does not fit the model; start over") }
        trainer.optimizer.restore(step: file.optimizerStep, first: file.optimizerFirst, second: file.optimizerSecond)
        trainer.restoreCarriedState(file.carriedState)
        printNote("resuming from \(resumePath) at step \(file.optimizerStep)")
        var start = Start(vocabulary: encoded.vocabulary, unknown: encoded.unknown, training: training, validation: validation,
                          corpusTokens: progress.corpusTokens, corpusHash: progress.corpusHash,
                          validationFraction: progress.validationFraction, metadata: file.model.metadata, trainer: trainer,
                          record: trainingRecord(wanted))
        start.history = progress.history
        start.best = progress.bestValidation.map { ($0, progress.bestStep ?? 0) }
        start.seconds = progress.seconds
        start.evalEvery = progress.validateEvery
        return start
    }

    /// Model flags given with --resume or --init-from must agree with the stored model.
    private func refuseChanges(against metadata: ModelMetadata, source: String) throws {
        let checks: [(String, String?, String)] = [
            ("--hidden", hidden.map(String.init), String(metadata.hiddenSize)),
            ("--layers", layers.map(String.init), String(metadata.numLayers)),
            ("--cell", cell?.rawValue, CellOption(metadata.cell).rawValue),
            ("--unit", unit?.rawValue, metadata.unit.rawValue),
            ("--case", caseMapping?.rawValue, metadata.textCase.rawValue),
        ]
        for (flag, given, stored) in checks where given != nil && given != stored {
            throw CommandError("\(source) has \(flag) \(stored); drop \(flag), or train a new model without "
                + (resume ? "--resume" : "--init-from"))
        }
        if maxVocab != nil || minCount != nil {
            throw CommandError("\(source) brings its own vocabulary; drop --max-vocab and --min-count")
        }
    }

    /// The training and validation parts of the corpus (the split rule of `validationStart`).
    private func split(_ ids: [Int32], fraction: Double, vocabulary: Vocabulary) -> ([Int32], [Int32]) {
        let cut = validationStart(tokens: ids, fraction: fraction, newline: vocabulary.id(of: "\n").map(Int32.init))
        return (Array(ids[..<cut]), Array(ids[cut...]))
    }
}

/// The history as CSV: step, train and validation loss in bits per token, learning rate, speed.
func writeHistoryCSV(_ history: [HistoryPoint], to path: String) throws {
    var text = "step,train_bits_per_token,val_bits_per_token,lr,tokens_per_second\n"
    for p in history {
        let train = p.trainLoss.map { String(format: "%.5f", $0 / log(2)) } ?? ""
        let validation = p.validationLoss.map { String(format: "%.5f", $0 / log(2)) } ?? ""
        text += "\(p.step),\(train),\(validation),\(p.learningRate),\(String(format: "%.0f", p.tokensPerSecond))\n"
    }
    try text.write(toFile: path, atomically: true, encoding: .utf8)
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

/// Prints one JSON document on standard output (keys sorted).
func printJSON<T: Encodable>(_ value: T) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    var out = OutputStream.standardOutput()
    out.append(String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self) + "\n")
    out.flush()
}
