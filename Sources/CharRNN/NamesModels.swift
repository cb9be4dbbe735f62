// MARK: - Names by category: a classifier and a generator

import Foundation

/// One category's probability for a name.
public struct Prediction: Codable, Equatable, Sendable {
    public var category: String
    public var probability: Double
}

/// A classifier's answer for one name.
public struct ClassifiedName: Sendable {
    /// The name as given.
    public var input: String
    /// Every category, most probable first.
    public var predictions: [Prediction]
    /// Letters the model never saw, read as its unknown token.
    public var unseenLetters: [String]
}

/// A names classifier (`charrnn train-classifier`): which categories (languages) a name belongs
/// to, with probabilities.
///
/// ```swift
/// let classifier = try NamesClassifier(contentsOf: "Models/names-classifier.safetensors")
/// let best = try classifier.classify("Schmidt").predictions[0]   // German first
/// ```
public final class NamesClassifier {
    public let network: RecurrentNetwork
    public let metadata: ModelMetadata
    public let codec: TextCodec
    /// The category names, in the model's order.
    public var categories: [String] { metadata.categories }

    public init(_ file: ModelFile) throws {
        guard file.metadata.task == .classifier else {
            throw CharRNNError("a \(file.metadata.task.rawValue) model; classifying needs one from train-classifier")
        }
        network = file.network
        metadata = file.metadata
        codec = try TextCodec(file.metadata)
    }

    /// Reads a classifier's model file.
    public convenience init(contentsOf path: String) throws {
        let file = try ModelFile(contentsOf: path)
        guard file.metadata.task == .classifier else {
            throw CharRNNError("\(path): a \(file.metadata.task.rawValue) model; classifying needs one from train-classifier")
        }
        try self.init(file)
    }

    /// The categories of one name (leading and trailing spaces ignored).
    public func classify(_ name: String) throws -> ClassifiedName {
        try classify([name])[0].get()
    }

    /// The categories of each name, in one batch. A name that cannot be read (empty, or with
    /// letters the model never saw when it has no unknown token) gets its error; the others are
    /// answered.
    ///
    /// - Complexity: one forward pass per 64 names, as long as the longest of them.
    public func classify(_ names: [String]) -> [Result<ClassifiedName, CharRNNError>] {
        var results: [Result<ClassifiedName, CharRNNError>] = []
        var valid: [(index: Int, ids: [Int32])] = []
        for name in names {
            do {
                let trimmed = name.trimmingCharacters(in: .whitespaces)
                let (ids, unseen) = try codec.encode(trimmed, what: name)
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
            answer.predictions = p.indices.sorted { p[$0] > p[$1] }.map { Prediction(category: categories[$0], probability: p[$0]) }
            results[item.index] = .success(answer)
        }
        return results
    }
}

/// A conditional generator of names (`charrnn train-generator`): names in a category, letter by
/// letter, each ending by itself.
public final class NamesGenerator {
    public let model: LanguageModel
    public var categories: [String] { model.metadata.categories }

    public init(_ file: ModelFile) throws {
        guard file.metadata.task == .conditionalGenerator else {
            throw CharRNNError("a \(file.metadata.task.rawValue) model; name generation needs one from train-generator")
        }
        model = try LanguageModel(file)
    }

    /// Reads a name generator's model file.
    public convenience init(contentsOf path: String) throws {
        try self.init(try ModelFile(contentsOf: path))
    }

    /// `count` names in `category` that begin with `seed`.
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
