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
}

extension OptimizerKind: ExpressibleByArgument {}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a character-level language model on a text file.",
        discussion: """
            The corpus is read as UTF-8, brought to NFC and cut into letters (grapheme clusters, \
            or words with --unit word); every letter it holds joins the vocabulary. Training runs \
            truncated backpropagation through time over --batch-size parallel streams of \
            --seq-length steps, carrying the hidden state from one batch to the next, as char-rnn \
            does. The model is written to --out as safetensors with PyTorch's tensor names.
            """
    )

    @Option(help: "The UTF-8 text to learn from.")
    var corpus: String

    @Option(help: "Where to write the model (a .safetensors file).")
    var out: String

    @Option(help: "The recurrent cell: rnn (Elman, tanh). lstm and gru are not available yet.")
    var cell: CellOption = .rnn

    @Option(help: "Hidden units per layer.")
    var hidden = 256

    @Option(help: "Stacked recurrent layers.")
    var layers = 1

    @Option(name: .customLong("seq-length"), help: "Time steps per batch (truncated backpropagation length).")
    var seqLength = 64

    @Option(name: .customLong("batch-size"), help: "Parallel streams per batch.")
    var batchSize = 32

    @Option(help: "Training steps (batches) in all. Default: one epoch.")
    var steps: Int?

    @Option(help: "Passes over the corpus (instead of --steps).")
    var epochs: Int?

    @Option(help: "Learning rate.")
    var lr: Float = 2e-3

    @Option(help: "Update rule: adam, sgd (with momentum 0.9), adagrad or rmsprop.")
    var optimizer: OptimizerKind = .adam

    @Option(help: "Clip gradients to this global L2 norm (0: no clipping).")
    var clip: Float = 5

    @Option(name: .customLong("clip-value"),
            help: "Clamp each gradient element to ± this value instead (char-rnn's grad_clip).")
    var clipValue: Float?

    @Option(name: .customLong("lr-decay"), help: "Multiply the learning rate by this every --lr-decay-every steps.")
    var lrDecay: Float = 1

    @Option(name: .customLong("lr-decay-every"), help: "Steps between learning-rate decays.")
    var lrDecayEvery = 1000

    @Option(help: "Random seed of the initial weights; the same seed and --threads repeat a run exactly.")
    var seed: UInt64 = 0

    @Option(help: "Threads to split each batch across (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "What a letter is: grapheme or word.")
    var unit: TokenUnit = .grapheme

    @Option(name: .customLong("case"), help: "Keep letter case (preserve) or lowercase the corpus (lower).")
    var caseMapping: CaseMapping = .preserve

    @Option(help: "Output: text, or json (one summary document on stdout).")
    var format: ReportFormat = .text

    func validate() throws {
        if cell != .rnn { throw ValidationError("--cell \(cell.rawValue) is not available yet; use --cell rnn") }
        if steps != nil && epochs != nil { throw ValidationError("give --steps or --epochs, not both") }
        for (name, value) in [("--hidden", hidden), ("--layers", layers), ("--seq-length", seqLength),
                              ("--batch-size", batchSize), ("--threads", threads)] where value < 1 {
            throw ValidationError("\(name) must be at least 1")
        }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
        if !(lr > 0) { throw ValidationError("--lr must be positive") }
        if clip < 0 { throw ValidationError("--clip must be 0 or more") }
        if let clipValue, !(clipValue > 0) { throw ValidationError("--clip-value must be positive") }
        if !(lrDecay > 0 && lrDecay <= 1) { throw ValidationError("--lr-decay must be in (0, 1]") }
        if lrDecayEvery < 1 { throw ValidationError("--lr-decay-every must be at least 1") }
    }

    func run() throws {
        let started = ContinuousClock.now
        let corpus = try EncodedCorpus(path: self.corpus, unit: unit, caseMapping: caseMapping)
        var settings = TrainingSettings()
        settings.batchSize = batchSize
        settings.sequenceLength = seqLength
        settings.optimizer = OptimizerSettings(kind: optimizer, learningRate: lr)
        settings.clipping = clipValue.map { .value($0) } ?? (clip > 0 ? .globalNorm(clip) : .none)
        settings.schedule = LearningRateSchedule(decay: lrDecay, every: lrDecayEvery)
        settings.threads = threads
        settings.seed = seed
        let batcher: TextBatcher
        do { batcher = try TextBatcher(tokens: corpus.ids, batch: batchSize, steps: seqLength) } catch {
            throw CommandError("\(self.corpus): \(error)")
        }
        let vocabularySize = corpus.vocabulary.count
        var rng = SeededGenerator(seed: seed)
        let network = ElmanNetwork(
            shape: NetworkShape(inputSize: vocabularySize, hiddenSize: hidden, layers: layers, outputSize: vocabularySize),
            rng: &rng)
        let trainer = LanguageModelTrainer(network: network, settings: settings, batcher: batcher)
        let total = steps ?? (epochs ?? 1) * batcher.batchesPerEpoch
        printNote("\(self.corpus): \(corpus.ids.count) tokens, vocabulary \(vocabularySize), "
            + "\(network.parameterCount) parameters, \(batcher.batchesPerEpoch) steps per epoch; training \(total) steps "
            + "on \(min(threads, batchSize)) thread(s)")

        let clock = ContinuousClock.now
        let every = max(1, total / 20)
        var loss = 0.0
        for step in 1...total {
            do { loss = try trainer.trainStep() } catch { throw CommandError(error.description) }
            if step % every == 0 || step == total {
                let seconds = (ContinuousClock.now - clock).seconds
                let rate = Double(step * batchSize * seqLength) / max(seconds, 1e-9)
                printNote(String(format: "step %d/%d  epoch %d  loss %.4f nats (%.3f bits/token)  %.0f tokens/s",
                                 step, total, trainer.batcher.epoch + 1, loss, loss / log(2), rate))
            }
        }
        let seconds = (ContinuousClock.now - clock).seconds
        let tokensPerSecond = Double(total * batchSize * seqLength) / max(seconds, 1e-9)

        let record: [String: JSONValue] = [
            "corpus": .string(self.corpus), "steps": .number(Double(total)), "seed": .number(Double(seed)),
            "batch_size": .number(Double(batchSize)), "seq_length": .number(Double(seqLength)),
            "optimizer": .string(optimizer.rawValue), "lr": .number(Double(lr)), "clip": .number(Double(clipValue ?? clip)),
            "clip_mode": .string(clipValue == nil ? "norm" : "value"), "lr_decay": .number(Double(lrDecay)),
            "lr_decay_every": .number(Double(lrDecayEvery)),
            "threads": .number(Double(threads)), "train_nats_per_token": .number(loss),
            "seconds": .number(seconds), "tokens_per_second": .number(tokensPerSecond),
        ]
        let metadata = try ModelMetadata(
            task: .languageModel, cell: .rnnTanh, hiddenSize: hidden, numLayers: layers,
            unit: TextUnit(rawValue: unit.rawValue)!, textCase: TextCase(rawValue: caseMapping.rawValue)!,
            vocab: corpus.vocabulary.tokens, training: record)
        try ModelFile(network: network, metadata: metadata).write(to: out)
        printNote("wrote \(out)")

        let summary: [String: JSONValue] = [
            "steps": .number(Double(total)), "seconds": .number((ContinuousClock.now - started).seconds),
            "train_seconds": .number(seconds), "tokens_per_second": .number(tokensPerSecond),
            "train_nats_per_token": .number(loss), "train_bits_per_token": .number(loss / log(2)),
            "vocabulary": .number(Double(vocabularySize)), "parameters": .number(Double(network.parameterCount)),
            "out": .string(out),
        ]
        if format == .json { printJSON(summary) }
    }
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
