// MARK: - Scoring a model on what training held out, as `charrnn eval` does

import Foundation

/// `charrnn eval --format json`'s document for a score in tokens: a text scored by a language
/// model, or names scored letter by letter by a name generator.
public struct ScoreDocument: Encodable, Sendable {
    public let tokens: Int
    public let natsPerToken: Double
    public let bitsPerToken: Double
    public let perplexity: Double

    public init(_ score: Score) {
        tokens = score.tokens
        natsPerToken = score.natsPerToken
        bitsPerToken = score.bitsPerToken
        perplexity = score.perplexity
    }

    enum CodingKeys: String, CodingKey {
        case tokens, perplexity
        case natsPerToken = "nats_per_token"
        case bitsPerToken = "bits_per_token"
    }
}

/// `charrnn eval --data --format json`'s document for a classifier.
public struct ClassifierScoreDocument: Encodable, Sendable {
    public let names: Int
    public let accuracy: Double
    public let macroF1: Double
    public let majorityBaseline: Double
    public let nats: Double

    public init(_ report: ClassificationReport) {
        names = report.count
        accuracy = report.accuracy
        macroF1 = report.macroF1
        majorityBaseline = report.majorityBaseline
        nats = report.loss
    }

    enum CodingKeys: String, CodingKey {
        case names, accuracy, nats
        case macroF1 = "macro_f1"
        case majorityBaseline = "majority_baseline"
    }
}

extension LanguageModel {
    /// The score of a text read for this model, or of the part of it that `train --val-fraction
    /// heldOut` held out (from the first paragraph after the cut), cut to its first `maxTokens`.
    ///
    /// - Throws: ``CharRNNError`` when fewer than two tokens are left, or the model's scores
    ///   overflow.
    public func score(_ corpus: TextCorpus, heldOut: Double? = nil, maxTokens: Int? = nil) throws -> Score {
        var ids = corpus.ids
        if let heldOut { ids = Array(ids[corpus.validationStart(fraction: heldOut)...]) }
        if let maxTokens { ids = Array(ids.prefix(maxTokens)) }
        return try score(ids: ids)
    }
}

extension NamesFolder {
    /// The folder's names in the spelling and letters of the model `metadata` describes: all of
    /// them, or with `heldOut` the ones that train-classifier or train-generator held out with
    /// `--val-fraction heldOut --rng-seed seed`.
    ///
    /// - Throws: ``CharRNNError`` when the folder's categories are not the model's.
    public func names(for metadata: ModelMetadata, heldOut: Double?, seed: UInt64) throws -> LabeledSequences {
        guard categories == metadata.categories else {
            throw CharRNNError("\(path): its categories (\(categories.joined(separator: ", "))) are not the model's "
                + "(\(metadata.categories.joined(separator: ", ")))")
        }
        let names = encoded(with: try TextCodec(metadata).vocabulary)
        guard let heldOut else { return names }
        return names.subset(split(names, heldOut: heldOut, seed: seed).heldOut)
    }
}

extension NamesClassifier {
    /// Accuracy, macro-F1, the majority baseline and the mean cross-entropy on labelled names
    /// (``NamesFolder/names(for:heldOut:seed:)``).
    ///
    /// - Parameter source: what the names are, for the error on NaN scores ("names/").
    /// - Throws: ``CharRNNError`` when the model's scores for a name are not numbers.
    public func evaluate(_ names: LabeledSequences, source: String) throws -> ClassificationReport {
        let probabilities = Classification.classify(network, sequences: names.sequences)
        if let bad = probabilities.firstIndex(where: { $0.contains(where: \.isNaN) }) {
            throw CharRNNError.scoresNotNumbers(for: "name \(bad + 1) of \(source)")
        }
        return ClassificationReport(probabilities: probabilities, labels: names.labels, categoryCount: categories.count)
    }
}

extension NamesGenerator {
    /// The mean loss per letter of labelled names, each name's end token included.
    ///
    /// - Throws: ``CharRNNError`` when the model has no end token or its loss overflows.
    public func score(_ names: LabeledSequences) throws -> Score {
        guard let end = model.metadata.endToken else {
            throw CharRNNError("a name generator without an end token (\"end_token\" in its metadata); it cannot be scored")
        }
        let (nats, count) = evaluateGenerator(model.network, data: names, endToken: Int32(end))
        guard nats.isFinite else { throw CharRNNError.lossNotFinite(nats) }
        return Score(tokens: count, natsPerToken: nats)
    }
}

extension ForecastEvaluation {
    /// `charrnn eval --csv --format json`'s document: the forecaster's errors beside the
    /// baselines', for `model` on column `column` of a series of `rows` rows.
    public func document(model: String, column: String, rows: Int) -> ForecastScoreDocument {
        ForecastScoreDocument(model: model, column: column, rows: rows, firstHeldOutRow: cut + 1, values: count,
                              forecaster: self.model, lastValue: lastValue, seasonal: seasonal)
    }

    /// An SVG of `series` with its held-out tail and the forecaster's one-step predictions of it.
    public func plotSVG(series: [Double], column: String) -> String {
        seriesPlotSVG(history: Array(series[..<cut]), heldOut: Array(series[cut...]), forecast: predictions,
                      forecastStart: predictionsStart,
                      title: "\(column): held-out truth and the forecaster's predictions (RMSE \(String(format: "%.6g", model.rmse)))",
                      unit: column)
    }
}

/// See ``ForecastEvaluation/document(model:column:rows:)``.
public struct ForecastScoreDocument: Encodable, Sendable {
    public let model: String, column: String, rows: Int, firstHeldOutRow: Int, values: Int
    public let forecaster: ErrorScores, lastValue: ErrorScores, seasonal: ErrorScores?

    enum CodingKeys: String, CodingKey {
        case model, column, rows, firstHeldOutRow = "first_held_out_row", values, forecaster
        case lastValue = "last_value", seasonal
    }
}
