// MARK: - charrnn train

import ArgumentParser
import CharRNN
import Foundation

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a character-level language model on a text file.",
        discussion: """
            The corpus is read as UTF-8, brought to NFC and cut into letters (grapheme clusters, \
            or words with --unit word). The last --val-fraction of it, starting at a paragraph \
            (a blank line), is held out. Training runs truncated backpropagation through time over \
            --batch-size parallel streams of --seq-length steps, carrying the hidden state from one \
            batch to the next, as char-rnn does. Every --eval-every updates the held-out loss is \
            measured: --out always holds the best model so far and <out>.resume.safetensors the \
            latest state, from which --resume continues exactly. A validation without improvement \
            multiplies the learning rate by --lr-plateau; --patience of them in a row end the run, \
            as do --steps, --epochs and --max-time. Ctrl-C saves and stops.
            """
    )

    @Option(help: "The UTF-8 text to learn from.")
    var corpus: String

    @OptionGroup var options: TrainingOptions

    @OptionGroup var vocabulary: VocabularyOptions

    @OptionGroup var decoder: DecoderOptions

    @Option(name: .customLong("seq-length"),
            help: "Time steps per batch: the truncated backpropagation length (default: \(TrainingConfiguration().sequenceLength)).")
    var seqLength: Int?

    @Option(help: "Update rule: adam, sgd (momentum 0.9), adagrad or rmsprop (default: \(TrainingConfiguration().optimizer.rawValue)).")
    var optimizer: OptimizerKind?

    @Option(name: .customLong("lr-decay"), help: "Multiply the learning rate by this every --lr-decay-every updates (default: \(TrainingConfiguration().stepDecay.decay), none).")
    var lrDecay: Float?

    @Option(name: .customLong("lr-decay-every"), help: "Updates between step decays (default: \(TrainingConfiguration().stepDecay.every)).")
    var lrDecayEvery: Int?

    @Option(name: .customLong("init-from"), help: "Start from this model's weights and vocabulary (fine-tuning).")
    var initFrom: String?

    @Option(name: .customLong("log"), help: "Write the history (step, losses, learning rate, speed) to this CSV file.")
    var logFile: String?

    @Option(help: "Draw the training and validation curves to this SVG file.")
    var plot: String?

    var resume: Bool { options.resume }

    func validate() throws {
        if resume && initFrom != nil { throw CharRNNError("give --resume or --init-from, not both") }
    }

    /// The configuration of a new run: the flags over the defaults.
    private func configuration() throws -> TrainingConfiguration {
        var c = TrainingConfiguration()
        options.apply(to: &c)
        vocabulary.apply(to: &c)
        c.decoder = try decoder.adaptiveSoftmax()
        if let seqLength { c.sequenceLength = seqLength }
        if let optimizer { c.optimizer = optimizer }
        if let lrDecay { c.stepDecay.decay = lrDecay }
        if let lrDecayEvery { c.stepDecay.every = lrDecayEvery }
        try c.validate()
        return c
    }

    func run() throws {
        let started = Date()
        try checkOutputs([OutputFile(options.out, option: "--out"), OutputFile(resumeFilePath(out: options.out), option: "the resume file")]
                            + [logFile.map { OutputFile($0, option: "--log") }, plot.map { OutputFile($0, option: "--plot") }].compactMap { $0 },
                         inputs: [(corpus, "--corpus")] + (initFrom.map { [($0, "--init-from")] } ?? []))
        let lock = try OutputLock(for: options.out)
        let trainer = try resume ? resumedTrainer() : freshTrainer()
        let c = trainer.configuration, loop = trainer.loop, corpus = trainer.corpus
        let v = corpus.vocabulary.count
        if corpus.replacements > 0 { printNote("\(self.corpus): replaced \(corpus.replacements) invalid UTF-8 sequence(s) with U+FFFD") }
        printNote("\(self.corpus): \(grouped(trainer.training.count)) training tokens, \(grouped(trainer.validation.count)) held out; "
            + "vocabulary \(v)\(corpus.vocabulary.unknownToken != nil ? " (with an unknown token)" : ""); "
            + "\(grouped(trainer.network.parameterCount)) parameters; \(grouped(trainer.objective.stepsPerEpoch)) steps per epoch")
        let baseline = trainer.unigramBaseline / log(2)
        printNote(String(format: "baselines: uniform %.3f bits/token, letter frequencies only %.3f bits/token", log2(Double(v)), baseline))
        if !corpus.unknown.isEmpty {
            let total = corpus.unknown.reduce(0) { $0 + $1.count }
            printNote("\(corpus.unknown.count) letter(s) (\(grouped(total)) occurrences) become the unknown token: "
                + corpus.unknown.prefix(5).map { "\(describeToken($0.token)) ×\($0.count)" }.joined(separator: ", ")
                + (corpus.unknown.count > 5 ? ", …" : ""))
        }
        if let limit = loop.stepLimit, limit <= loop.step {
            throw CharRNNError("the run is already at step \(loop.step); give --steps above it to train further")
        }
        options.noteDropout(c)
        let limits = [loop.stepLimit.map { "to step \(grouped($0))" }, c.maxTime.map { "for at most \(duration($0))" },
                      c.patience > 0 ? "until \(c.patience) validations bring no improvement" : nil].compactMap { $0 }
        printNote("training from step \(loop.step + 1) on \(c.resolvedThreads) thread(s), validating every "
            + "\(grouped(loop.rules.validateEvery)) steps, " + (limits.isEmpty ? "with no limit (Ctrl-C stops)" : limits.joined(separator: ", ")))

        var printer = EventPrinter(loop: loop)
        let secondsBefore = loop.state.seconds
        catchStopSignals()
        let summary: TrainingSummary
        do {
            summary = try trainer.run(out: options.out, cancel: stopToken, lock: lock) { event in
                printer.handle(event)
                if case .recorded = event { try saveHistory(loop.state.history) }
            }
        } catch {
            printer.line.finish()
            throw error
        }
        printer.line.finish()
        let resumePath = resumeFilePath(out: options.out)
        let trainSeconds = summary.seconds - secondsBefore
        switch summary.outcome {
        case .diverged(let step):
            let best = summary.bestStep.map { "\(options.out) keeps the best model (step \($0))" } ?? "no model was saved"
            throw CharRNNError("the loss became NaN or infinite at step \(step); \(best); lower --lr "
                + "(now \(c.learningRate)) or set --clip, and train again")
        case .cancelled:
            printNote("\(stopToken.reason == SIGTERM ? "SIGTERM" : "interrupted") at step \(summary.steps): saved \(resumePath)"
                + (summary.bestStep != nil ? " and the best model in \(options.out)" : "") + "; continue with --resume")
            throw ExitCode(stopStatus)
        case .timeLimit, .earlyStop, .finished:
            printNote("\(summary.outcome.phrase) at step \(grouped(summary.steps)) after \(duration(summary.seconds))")
        }
        printNote("wrote \(options.out)" + (summary.bestLoss.map {
            String(format: " (best validation %.4f bits/token at step %@)", $0 / log(2), grouped(summary.bestStep ?? 0))
        } ?? ""))
        if let best = summary.bestLoss, best / log(2) >= baseline - 0.01 {
            printNote(String(format: "the best validation (%.3f bits/token) is not below the letter-frequency baseline (%.3f): "
                + "the model learnt little more than how common each letter is; train longer (--max-time), lower --lr, "
                + "or give a larger corpus", best / log(2), baseline))
        }
        if options.format == .json {
            var json: [String: JSONValue] = [
                "steps": .number(Double(summary.steps)), "seconds": .number(Date().timeIntervalSince(started)),
                "train_seconds": .number(trainSeconds), "total_train_seconds": .number(summary.seconds),
                "tokens_per_second": .number(summary.tokensPerSecond), "vocabulary": .number(Double(v)),
                "parameters": .number(Double(trainer.network.parameterCount)), "out": .string(options.out),
                "resume_file": .string(resumePath), "stopped": .string(summary.outcome.phrase),
                "baseline_bits_per_token": .number(baseline),
            ]
            if let loss = summary.lastTrainLoss {
                json["train_nats_per_token"] = .number(loss)
                json["train_bits_per_token"] = .number(loss / log(2))
            }
            if let best = summary.bestLoss {
                json["val_nats_per_token"] = .number(best)
                json["val_bits_per_token"] = .number(best / log(2))
                json["best_step"] = .number(Double(summary.bestStep ?? 0))
            }
            printJSON(json)
        }
    }

    private func freshTrainer() throws -> TextTrainer {
        let c = try configuration()
        if let initFrom {
            let metadata = try ModelFile(contentsOf: initFrom).metadata
            try refuseChanges(against: TrainingConfiguration(model: metadata), source: initFrom)
            let trainer = try TextTrainer(corpus: corpus, configuration: c, initFrom: initFrom)
            if !trainer.corpus.unknown.isEmpty {
                printNote("\(corpus): \(trainer.corpus.unknown.count) letter(s) are not in \(initFrom)'s vocabulary and "
                    + "become its unknown token")
            }
            return trainer
        }
        return try TextTrainer(corpus: corpus, configuration: c)
    }

    private func resumedTrainer() throws -> TextTrainer {
        let path = resumeFilePath(out: options.out)
        let stored = try TextTrainer.storedConfiguration(path)
        try refuseChanges(against: stored, source: path)
        // What may change on resume: the limits, validation, patience and plateau, the rate.
        var c = try options.resumed(stored, source: path)
        if let lrDecay { c.stepDecay.decay = lrDecay }
        if let lrDecayEvery { c.stepDecay.every = lrDecayEvery }
        let trainer = try TextTrainer(resuming: path, corpus: corpus, configuration: c)
        printNote("resuming from \(path) at step \(trainer.resumedFrom ?? 0)")
        return trainer
    }

    /// Flags given with --resume or --init-from must agree with the stored model and run.
    private func refuseChanges(against stored: TrainingConfiguration, source: String) throws {
        let o = options
        let checks: [(String, String?, String)] = [
            ("--hidden", o.hidden.map(String.init), String(stored.hiddenSize)),
            ("--layers", o.layers.map(String.init), String(stored.layers)),
            ("--cell", o.cell?.rawValue, CellOption(stored.cell).rawValue),
            ("--unit", vocabulary.unit?.rawValue, stored.unit.rawValue),
            ("--case", vocabulary.caseMapping?.rawValue, stored.caseMapping.rawValue),
        ] + (try decoder.checks(against: stored.decoder))
        let way = resume ? "--resume" : "--init-from"
        for (flag, given, was) in checks where given != nil && given != was {
            throw CharRNNError("\(source) has \(flag) \(was); drop \(flag), or train a new model without \(way)")
        }
        if vocabulary.maxVocab != nil || o.minCount != nil { throw CharRNNError("\(source) brings its own vocabulary; drop --max-vocab and --min-count") }
        guard resume else { return }
        let run: [(String, String?, String)] = [
            ("--seq-length", seqLength.map(String.init), String(stored.sequenceLength)),
            ("--optimizer", optimizer?.rawValue, stored.optimizer.rawValue),
        ]
        for (flag, given, was) in run where given != nil && given != was {
            throw CharRNNError("\(source) was trained with \(flag) \(was); drop \(flag) to resume, or start over")
        }
    }

    private func saveHistory(_ history: [HistoryPoint]) throws {
        if let logFile {
            var text = "step,train_bits_per_token,val_bits_per_token,lr,tokens_per_second\n"
            for p in history {
                let train = p.trainLoss.map { String(format: "%.5f", $0 / log(2)) } ?? ""
                let validation = p.validationLoss.map { String(format: "%.5f", $0 / log(2)) } ?? ""
                text += "\(p.step),\(train),\(validation),\(p.learningRate),\(String(format: "%.0f", p.tokensPerSecond))\n"
            }
            try text.write(toFile: logFile, atomically: true, encoding: .utf8)
        }
        if let plot {
            let train = history.compactMap { p in p.trainLoss.map { LossPoint(step: p.step, bitsPerToken: $0 / log(2)) } }
            let validation = history.compactMap { p in p.validationLoss.map { LossPoint(step: p.step, bitsPerToken: $0 / log(2)) } }
            try lossPlotSVG(train: train, validation: validation, title: "charrnn train \(corpus)")
                .write(toFile: plot, atomically: true, encoding: .utf8)
        }
    }
}
