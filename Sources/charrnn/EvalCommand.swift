// MARK: - charrnn eval and charrnn info

import ArgumentParser
import CharRNN
import Foundation

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a model on a held-out text: nats and bits per token, perplexity.",
        discussion: """
            The whole text (NFC, the model's letters) is one stream from a zero hidden state: \
            tokens 0 … N−2 are fed and tokens 1 … N−1 are scored, so N − 1 tokens are counted. \
            A letter the model never saw is an error, unless the model has an unknown token. \
            --held-out F scores only what `train --val-fraction F` held out of the same file (the \
            last F of it, from the first paragraph after the cut); with --data, what \
            train-classifier or train-generator --val-fraction F --rng-seed S held out of the folder. \
            With --csv, a forecaster's RMSE and MAE on the held-out tail of the column (the share \
            train-forecaster held out), beside the last-value and one-season-ago baselines.
            """
    )

    @Option(help: "The model (.safetensors).")
    var model: String

    @Option(help: "The text to score (language models).")
    var text: String?

    @Option(help: "A folder of <Category>.txt names to score: a name generator letter by letter (end token included), a classifier by accuracy and macro-F1.")
    var data: String?

    @Option(help: "A CSV file to score a forecaster on: the held-out tail of its column, against the last-value and seasonal baselines.")
    var csv: String?

    @Option(help: "With --csv: the column (default: the one the forecaster was trained on).")
    var column: String?

    @Option(help: "With --csv: empty or non-numeric cells: none (an error naming the line) or previous.")
    var fill: MissingValues = .none

    @Option(help: "With --csv: also write an SVG of the history, the held-out truth and the predictions.")
    var plot: String?

    @Option(name: .customLong("rng-seed"), help: "With --data: the --rng-seed of the held-out split to score (with --held-out).")
    var rngSeed: UInt64 = 0

    @Option(name: .customLong("seed"), help: .hidden)
    var deprecatedSeed: UInt64?

    @Option(name: .customLong("held-out"),
            help: "Score only the part of the text that train --val-fraction with this value holds out.")
    var heldOut: Double?

    @Option(name: .customLong("max-tokens"), help: "Score only the first N tokens (after --held-out).")
    var maxTokens: Int?

    @Flag(help: "Replace invalid UTF-8 with U+FFFD (and say how many) instead of stopping.")
    var lossy = false

    @Option(help: "Output: text or json.")
    var format: ReportFormat = .text

    func validate() throws {
        if [text, data, csv].compactMap({ $0 }).count != 1 { throw CharRNNError("give --text FILE, --data DIR or --csv FILE") }
        if csv != nil && (heldOut != nil || maxTokens != nil) {
            throw CharRNNError("--csv scores the tail the forecaster held out in training (its held_out_fraction): drop --held-out and --max-tokens")
        }
        if csv == nil && (column != nil || plot != nil || fill != .none) { throw CharRNNError("--column, --fill and --plot go with --csv") }
        if deprecatedSeed != nil && rngSeed != 0 { throw CharRNNError("give --rng-seed only (--seed is its old name)") }
        if let heldOut, !(heldOut > 0 && heldOut < 1) { throw CharRNNError("--held-out must be in (0, 1)") }
        if let maxTokens, maxTokens < 2 { throw CharRNNError("--max-tokens must be at least 2") }
    }

    func run() throws {
        let file = try ModelFile(contentsOf: model)
        if let csv { return try evaluateForecaster(file, csv: csv) }
        if let data { return try evaluateNames(file, folder: data) }
        guard let text else { return }
        guard file.metadata.task == .languageModel else {
            throw CharRNNError("\(model): a \(file.metadata.task.rawValue) model; eval --text needs a language model")
        }
        let corpus = try TextCorpus(path: text, model: file.metadata, lossy: lossy)
        if corpus.replacements > 0 { printNote("\(text): replaced \(corpus.replacements) invalid UTF-8 sequence(s) with U+FFFD") }
        if !corpus.unknown.isEmpty {
            printNote("\(text): \(grouped(corpus.unknown.reduce(0) { $0 + $1.count })) letter(s) outside the vocabulary "
                + "scored as the unknown token")
        }
        let score = try LanguageModel(file).score(corpus, heldOut: heldOut, maxTokens: maxTokens)
        report(score, what: "\(text): \(grouped(score.tokens)) tokens scored", unit: "token")
    }

    private func report(_ score: Score, what: String, unit: String) {
        if format == .json {
            printJSON(ScoreDocument(score))
        } else {
            printOut(what + String(format: ", %.4f nats/%@, %.4f bits/%@, perplexity %.3f\n", score.natsPerToken, unit,
                                   score.bitsPerToken, unit, score.perplexity))
        }
    }

    /// A name model on a folder: every name, or the held-out split of `--rng-seed` and `--held-out`
    /// (as train-classifier and train-generator split it with --rng-seed and --val-fraction).
    private func evaluateNames(_ file: ModelFile, folder path: String) throws {
        let metadata = file.metadata
        guard metadata.task == .conditionalGenerator || metadata.task == .classifier else {
            throw CharRNNError("\(model): a \(metadata.task.rawValue) model; eval --data needs a name generator or classifier")
        }
        let folder = try NamesFolder(path: path, unit: metadata.unit, caseMapping: metadata.caseMapping, lossy: lossy)
        if deprecatedSeed != nil { printNote("--seed N is now --rng-seed N for eval; using --rng-seed \(deprecatedSeed!)") }
        let names = try folder.names(for: metadata, heldOut: heldOut, seed: deprecatedSeed ?? rngSeed)
        if metadata.task == .classifier {
            let report = try NamesClassifier(file).evaluate(names, source: "\(path) (\(model))")
            if format == .json {
                printJSON(ClassifierScoreDocument(report))
            } else {
                printOut(String(format: "%@: %@ names, accuracy %.4f, macro-F1 %.4f (always the most common category: "
                                + "%.4f), %.4f nats/name\n", path, grouped(report.count), report.accuracy, report.macroF1,
                                report.majorityBaseline, report.loss))
            }
            return
        }
        let score = try NamesGenerator(file).score(names)
        report(score, what: "\(path): \(grouped(names.count)) names, \(grouped(score.tokens)) letters scored (end tokens included)",
               unit: "letter")
    }
}

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a model file: task, cell, sizes, vocabulary, parameters, training record.")

    @Option(help: "The model (.safetensors).")
    var model: String

    @Option(help: "Output: text or json.")
    var format: ReportFormat = .text

    func run() throws {
        let file = try ModelFile(contentsOf: model)
        let m = file.metadata, shape = file.network.shape
        if format == .json {
            printJSON(ModelSummary(file))
            return
        }
        var lines = [
            "model        \(model)",
            "task         \(m.task.rawValue)",
            "cell         \(m.cell.rawValue), \(m.numLayers) layer(s) of \(m.hiddenSize) units",
            "input        \(shape.inputSize) (one-hot)   output \(shape.outputSize)",
            "vocabulary   \(m.vocab.count) \(m.unit.rawValue)s, case \(m.caseMapping.rawValue)"
                + (m.unknownToken.map { ", unknown token id \($0)" } ?? "") + (m.endToken.map { ", end token id \($0)" } ?? ""),
            "parameters   \(grouped(file.network.parameterCount))",
            "decoder      " + (m.decoder.map { d in
                "adaptive softmax: shortlist of \(grouped(d.shortlistSize)), clusters "
                    + d.cutoffs.indices.map { i in
                        let ids = d.cluster(i, vocabularySize: shape.outputSize)
                        return "\(ids.lowerBound)–\(ids.upperBound - 1) (\(d.projectionSize(i, hiddenSize: m.hiddenSize)) units)"
                    }.joined(separator: ", ") + ", div_value \(JSONValue.number(d.divValue).text)"
            } ?? "linear"),
        ]
        if !m.categories.isEmpty { lines.append("categories   \(m.categories.joined(separator: ", "))") }
        if let f = m.forecast {  // a forecaster reads numbers: no one-hot input, no vocabulary
            lines[3] = "input        1 (a real value per step)   output \(shape.outputSize)"
            lines[4] = "forecast     column \(String(reflecting: f.column)), lookback \(f.lookback), horizon \(f.horizon), "
                + "season \(f.season.map(String.init) ?? "none"), scaling mean \(f.scaleMean) std \(f.scaleStd), "
                + "held out \(f.heldOutFraction)" + (f.predictsChange ? ", predicts the change from the last value" : "")
        }
        if !m.training.isEmpty {
            lines.append("training")
            for (key, value) in m.training.sorted(by: { $0.key < $1.key }) {
                if key == "seconds", case .number(let x) = value, x.isFinite, abs(x) < 1e15 {
                    lines.append("  seconds: \(grouped(Int(x.rounded()))) (\(duration(x)))")
                } else {
                    lines.append("  \(key): \(value.text)")
                }
            }
        }
        printOut(lines.joined(separator: "\n") + "\n")
    }
}

extension JSONValue {
    /// A short human form: numbers without needless decimals, strings bare.
    var text: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return String(b)
        case .number(let x): return x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(format: "%.6g", x)
        case .string(let s): return s
        case .array(let items): return "[" + items.map(\.text).joined(separator: ", ") + "]"
        case .object(let o): return "{" + o.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.text)" }.joined(separator: ", ") + "}"
        }
    }
}
