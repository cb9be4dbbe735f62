// MARK: - Names by category: a classifier and a generator

import Foundation

/// One category's probability for a name.
public struct Prediction: Codable, Equatable, Sendable {
    /// The category's name, as in ``NamesClassifier/categories``.
    public var category: String
    /// The probability the classifier gives it, in [0, 1]; a name's predictions sum to 1.
    public var probability: Double
}

/// A classifier's answer for one name: what ``NamesClassifier/classify(_:)-(String)`` returns.
///
/// Encoded (``jsonDocument(_:)``), an array of them cut to the top categories
/// (``top(_:)``) is the document `charrnn classify --format json` prints and
/// `POST /api/classify` answers: `[{"input": ..., "predictions": [{"category", "probability"}]}]`.
public struct ClassifiedName: Encodable, Sendable {
    /// The name as given.
    public var input: String
    /// Every category, most probable first.
    public var predictions: [Prediction]
    /// Letters the model never saw, read as its unknown token (not in the document).
    public var unseenLetters: [String]

    private enum CodingKeys: String, CodingKey { case input, predictions }

    /// The same answer with only its `count` most probable categories.
    ///
    /// - Parameter count: how many categories to keep, at least 1 (see ``checkTop(_:)``).
    public func top(_ count: Int) -> ClassifiedName {
        var answer = self
        answer.predictions = Array(predictions.prefix(count))
        return answer
    }

    /// Checks how many categories a caller asked to see per name.
    ///
    /// - Throws: ``CharRNNError`` (option `top`) when `count` is below 1.
    public static func checkTop(_ count: Int) throws {
        if count < 1 { throw CharRNNError(option: "top", "must be at least 1") }
    }
}

/// A names classifier (`charrnn train-classifier`): which categories (languages) a name belongs
/// to, with probabilities.
///
/// ```swift
/// let classifier = try NamesClassifier(contentsOf: "Models/names-classifier.safetensors")
/// let best = try classifier.classify("Schmidt").predictions[0]   // German, 0.73
/// ```
///
/// Not thread-safe: use one classifier from one thread at a time.
public final class NamesClassifier {
    /// The network's weights and shape.
    public let network: RecurrentNetwork
    /// What the model file says about the model: cell, sizes, tokenizer settings, vocabulary,
    /// categories and its training record.
    public let metadata: ModelMetadata
    /// The model's tokenizer and vocabulary.
    public let codec: TextCodec
    /// The category names, in the model's order.
    public var categories: [String] { metadata.categories }

    /// A classifier from a model file's network and metadata.
    ///
    /// - Parameter file: a classifier's model file (task `.classifier`).
    /// - Throws: ``CharRNNError`` when the file holds another kind of model; ``ICUError`` or
    ///   ``VocabularyError`` when its tokenizer or vocabulary cannot be built
    ///   (``TextCodec/init(_:)``).
    public init(_ file: ModelFile) throws {
        guard file.metadata.task == .classifier else {
            throw CharRNNError("a \(file.metadata.task.rawValue) model; classifying needs one from train-classifier")
        }
        network = file.network
        metadata = file.metadata
        codec = try TextCodec(file.metadata)
    }

    /// Reads a classifier's model file.
    ///
    /// - Parameter path: a `.safetensors` model file written by `charrnn train-classifier` or
    ///   a ``NamesTrainer`` with task `.classifier`.
    /// - Throws: ``ModelFileError`` when the file cannot be read or is not a valid model;
    ///   ``CharRNNError`` when it holds another kind of model.
    public convenience init(contentsOf path: String) throws {
        let file = try ModelFile(contentsOf: path)
        guard file.metadata.task == .classifier else {
            throw CharRNNError("\(path): a \(file.metadata.task.rawValue) model; classifying needs one from train-classifier")
        }
        try self.init(file)
    }

    /// The categories of one name.
    ///
    /// The name is first brought to the corpus's spelling by ``nameSpelling(_:)``: typographic
    /// apostrophes and dashes become `'` and `-`, other punctuation is dropped, white space is
    /// collapsed and trimmed, and particles are kept (`van den Berg`, `O’Brien`, `al-Rashid`,
    /// `Ó Briain` are read as the corpus writes them).
    ///
    /// - Parameter name: the name, as written (it is also brought to NFC and, for a lowercased
    ///   model, lowercased).
    /// - Returns: every category with its probability, most probable first.
    /// - Throws: ``CharRNNError`` when the name is empty, or has letters the model never saw
    ///   and the model has no unknown token.
    /// - Complexity: one forward pass of the network, one step per letter.
    public func classify(_ name: String) throws -> ClassifiedName {
        try classify([name])[0].get()
    }

    /// The categories of each name, in one batch. A name that cannot be read (empty, or with
    /// letters the model never saw when it has no unknown token) gets its error; the others are
    /// answered.
    ///
    /// - Parameter names: the names, as written (each read through ``nameSpelling(_:)``).
    /// - Returns: one result per name, in the order given: its ``ClassifiedName``, or the
    ///   error that says why it could not be read or scored (the model's scores for it are not
    ///   numbers: weights so large that float32 arithmetic overflows). Scores of +∞ are not an
    ///   error: the categories scored +∞ share the probability.
    /// - Complexity: one forward pass per 64 names, as long as the longest of them.
    public func classify(_ names: [String]) -> [Result<ClassifiedName, CharRNNError>] {
        var results: [Result<ClassifiedName, CharRNNError>] = []
        var valid: [(index: Int, ids: [Int32])] = []
        for name in names {
            do {
                let (ids, unseen) = try codec.encode(nameSpelling(name), what: name)
                guard !ids.isEmpty else { throw CharRNNError("an empty name; give names with at least one letter") }
                valid.append((results.count, ids))
                results.append(.success(ClassifiedName(input: name, predictions: [], unseenLetters: unseen)))
            } catch let error as CharRNNError {
                results.append(.failure(error))
            } catch {
                results.append(.failure(CharRNNError("\(name): \(error)")))
            }
        }
        let probabilities = Classification.classify(network, sequences: valid.map(\.ids))
        for (item, p) in zip(valid, probabilities) {
            guard case .success(var answer) = results[item.index] else { continue }
            if p.contains(where: \.isNaN) {
                results[item.index] = .failure(.scoresNotNumbers(for: answer.input))
                continue
            }
            answer.predictions = p.indices.sorted { p[$0] > p[$1] }.map { Prediction(category: categories[$0], probability: p[$0]) }
            results[item.index] = .success(answer)
        }
        return results
    }
}

/// A conditional generator of names (`charrnn train-generator`): names in a category, letter by
/// letter, each ending by itself.
///
/// For the finer settings (top-k, top-p, a length limit), call
/// ``LanguageModel/generate(seed:options:using:cancel:onText:)`` on ``model`` with
/// ``GenerationOptions/category`` set.
public final class NamesGenerator {
    /// The generator as a language model whose every step is conditioned on a category.
    public let model: LanguageModel
    /// The category names, in the model's order.
    public var categories: [String] { model.metadata.categories }

    /// A name generator from a model file's network and metadata.
    ///
    /// - Parameter file: a name generator's model file (task `.conditionalGenerator`).
    /// - Throws: ``CharRNNError`` when the file holds another kind of model; ``ICUError`` or
    ///   ``VocabularyError`` when its tokenizer or vocabulary cannot be built
    ///   (``TextCodec/init(_:)``).
    public init(_ file: ModelFile) throws {
        guard file.metadata.task == .conditionalGenerator else {
            throw CharRNNError("a \(file.metadata.task.rawValue) model; name generation needs one from train-generator")
        }
        model = try LanguageModel(file)
    }

    /// Reads a name generator's model file.
    ///
    /// - Parameter path: a `.safetensors` model file written by `charrnn train-generator` or a
    ///   ``NamesTrainer`` with task `.conditionalGenerator`.
    /// - Throws: ``ModelFileError`` when the file cannot be read or is not a valid model;
    ///   ``CharRNNError`` when it holds another kind of model.
    public convenience init(contentsOf path: String) throws {
        try self.init(try ModelFile(contentsOf: path))
    }

    /// `count` names in `category` that begin with `seed`.
    ///
    /// Each name ends when the model draws its end token, or 100 letters after the seed.
    ///
    /// - Parameters:
    ///   - category: one of ``categories``.
    ///   - count: how many names to write, drawn together.
    ///   - seed: letters that begin every name.
    ///   - temperature: sharpness, as ``GenerationOptions/temperature``.
    ///   - rng: the source of randomness; a seeded generator repeats the names.
    /// - Returns: `count` names, each beginning with `seed`.
    /// - Throws: ``CharRNNError`` when `category` is not one of ``categories``, `count` is
    ///   below 1, `temperature` is negative, or a seed letter is unknown to the model and it has
    ///   no unknown token.
    /// - Complexity: one network step for the start marker and each seed letter, then one per
    ///   letter drawn until the longest name ends; all names in the same steps.
    public func names(in category: String, count: Int = 1, seed: String = "", temperature: Float = 0.8,
                      using rng: inout some RandomNumberGenerator) throws -> [String]
    {
        var options = GenerationOptions()
        options.category = category
        options.samples = count
        options.temperature = temperature
        options.length = 100
        return try model.generate(seed: seed, options: options, using: &rng).samples
    }
}
