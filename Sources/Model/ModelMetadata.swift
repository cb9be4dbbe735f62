// MARK: - Model metadata: the "charrnn" entry of a model file's __metadata__
//
// A model file's header carries, under `__metadata__["charrnn"]`, one JSON object that says what
// the tensors are and how text becomes ids (see docs/model-format.md):
//   {"format_version": 1, "task": "language-model", "cell": "rnn_tanh", "hidden_size": 256,
//    "num_layers": 1, "unit": "grapheme", "normalization": "NFC", "case": "preserve",
//    "vocab": ["\n", " ", ...], "unknown_token": null, "end_token": null,
//    "categories": [], "training": {...}}

import Foundation
import SafeTensors  // firstDuplicateKey(inJSON:)
import Tokenizer  // TokenUnit, CaseMapping: how text becomes tokens

/// What a model does with its outputs.
public enum ModelTask: String, Codable, CaseIterable, Sendable {
    /// Predicts the next token of a text.
    case languageModel = "language-model"
    /// Predicts a category for a whole text (a name's language).
    case classifier
    /// Predicts the next token given a category fed in beside each token.
    case conditionalGenerator = "conditional-generator"
    /// Predicts the next values of a numeric series from a window of its past (`forecast`).
    case forecaster

    /// Whether models for this task need `categories`.
    public var needsCategories: Bool { self == .classifier || self == .conditionalGenerator }
}

/// The recurrent cell, named as PyTorch's `nn.RNN(nonlinearity="tanh")`, `nn.LSTM`, `nn.GRU`.
public enum CellKind: String, Codable, CaseIterable, Sendable {
    case rnnTanh = "rnn_tanh"
    case lstm
    case gru
    /// The 2017 PyTorch char-RNN tutorial's `SimpleRNN` (one layer): two `nn.Linear` over
    /// [x_t, h_{t−1}], a linear hidden update and an output from the previous state
    /// (TutorialCell.swift).
    case tutorial

    /// Gates per layer (G): each weight and bias has G·H rows, in PyTorch's gate order.
    public var gateCount: Int {
        switch self {
        case .rnnTanh: 1
        case .lstm: 4
        case .gru: 3
        case .tutorial: 1
        }
    }

    /// The cells of PyTorch's recurrent modules (`nn.RNN`, `nn.LSTM`, `nn.GRU`): tensors `rnn.*`
    /// and `decoder.*`, any number of layers, dropout between them. The tutorial cell is not one.
    public static let stackable: [CellKind] = [.rnnTanh, .lstm, .gru]
}


// MARK: - Errors

/// Why a model's metadata was rejected; each `description` names the offending key.
public enum ModelMetadataError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The text is not a JSON object.
    case notJSON(reason: String)
    /// A required key is absent (or null).
    case missingKey(String)
    /// A key's value has the wrong JSON type; `expected` says what it should be.
    case wrongType(key: String, expected: String)
    /// A key's value has the right type but is not allowed.
    case invalidValue(key: String, reason: String)
    /// The file was written by a newer charrnn with a format this version cannot read.
    case newerFormat(Int)
    /// An object of the metadata holds `key` twice; `path` leads to that object (empty: the
    /// metadata object itself).
    case duplicateKey(String, path: [String])

    public var description: String {
        switch self {
        case .notJSON(let reason):
            return "the model's charrnn metadata is not a JSON object (\(reason)): the file is corrupt"
        case .missingKey(let key):
            return "the model's charrnn metadata has no \"\(key)\", which is required"
        case .wrongType(let key, let expected):
            return "the model's charrnn metadata \"\(key)\" should be \(expected)"
        case .invalidValue(let key, let reason):
            return "the model's charrnn metadata \"\(key)\" \(reason)"
        case .newerFormat(let version):
            return "the model's charrnn metadata \"format_version\" is \(version), newer than this charrnn reads "
                + "(\(ModelMetadata.currentFormatVersion)): upgrade charrnn"
        case .duplicateKey(let key, let path):
            return "the model's charrnn metadata has \(String(reflecting: key)) twice"
                + (path.isEmpty ? "" : " inside \(DuplicateJSONKey.describe(path))")
                + ": JSON readers would disagree on which value counts, so the file is refused; it is corrupt or was "
                + "edited by hand"
        }
    }
}

// MARK: - The metadata

/// What a model file says about its model: task, architecture, tokenization, vocabulary,
/// categories, and free-form notes about its training.
///
/// Read it with ``decode(fromMetadataString:)`` from `__metadata__["charrnn"]`, write it with
/// ``encodedString()``. Both check it with ``validate()``. Unknown keys are ignored on reading.
public struct ModelMetadata: Codable, Equatable, Sendable {
    /// The key of this entry in a safetensors file's `__metadata__`.
    public static let metadataKey = "charrnn"
    /// The format version this code reads and writes.
    public static let currentFormatVersion = 1

    /// The largest `hidden_size` accepted.
    public static let maxHiddenSize = 65_536
    /// The largest `num_layers` accepted.
    public static let maxLayers = 64
    /// The most `vocab` entries accepted.
    public static let maxVocabulary = 1_000_000
    /// The most `categories` accepted.
    public static let maxCategories = 100_000

    /// `format_version`: the layout of this metadata (always ``currentFormatVersion`` once read).
    public let formatVersion: Int
    /// `task`: what the outputs mean.
    public var task: ModelTask
    /// `cell`: the recurrent cell.
    public var cell: CellKind
    /// `hidden_size` (H ≥ 1): the size of each layer's hidden state.
    public var hiddenSize: Int
    /// `num_layers` (L ≥ 1): stacked recurrent layers.
    public var numLayers: Int
    /// `unit`: what a token is; default grapheme.
    public var unit: TokenUnit
    /// `normalization`: the Unicode normalization applied to text; default and only value "NFC".
    public var normalization: String
    /// `case`: lowercase the text or not; default preserve.
    public var caseMapping: CaseMapping
    /// `vocab`: the token strings in id order, reserved tokens included; non-empty, no repeats.
    public var vocab: [String]
    /// `unknown_token`: the id standing for tokens outside the vocabulary, if any.
    public var unknownToken: Int?
    /// `end_token`: the id of the end-of-name token, if any.
    public var endToken: Int?
    /// `categories`: the category names in id order; needed by classifiers and conditional
    /// generators, default none.
    public var categories: [String]
    /// `training`: free-form facts about how the model was trained (corpus, steps, losses...),
    /// kept as given so that keys this version does not know survive a rewrite.
    public var training: [String: JSONValue]
    /// `forecast`: a forecaster's window, horizon, season, column and scaling; nil for every
    /// other task.
    public var forecast: ForecastSettings?
    /// `decoder`: the output layer; absent (nil) for the plain `nn.Linear` decoder, or an
    /// adaptive softmax `{"kind": "adaptive", "cutoffs": [...], "div_value": 4}` (language
    /// models only; AdaptiveSoftmax.swift).
    public var decoder: AdaptiveSoftmax? = nil

    /// Metadata for a model, checked with ``validate()``.
    public init(task: ModelTask, cell: CellKind, hiddenSize: Int, numLayers: Int,
                unit: TokenUnit = .grapheme, normalization: String = "NFC", caseMapping: CaseMapping = .preserve,
                vocab: [String], unknownToken: Int? = nil, endToken: Int? = nil,
                categories: [String] = [], training: [String: JSONValue] = [:],
                forecast: ForecastSettings? = nil, decoder: AdaptiveSoftmax? = nil) throws(ModelMetadataError)
    {
        self.formatVersion = Self.currentFormatVersion
        self.task = task
        self.cell = cell
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.unit = unit
        self.normalization = normalization
        self.caseMapping = caseMapping
        self.vocab = vocab
        self.unknownToken = unknownToken
        self.endToken = endToken
        self.categories = categories
        self.training = training
        self.forecast = forecast
        self.decoder = decoder
        try validate()
    }

    // MARK: - Checks

    /// Checks the values that the JSON types alone do not: version, sizes and their limits,
    /// vocabulary (each entry one token of `unit`), ids, what each task may carry, categories,
    /// and that the parameter count is an `Int`.
    ///
    /// - Throws: `ModelMetadataError` naming the first key that is wrong.
    /// - Complexity: One tokenization of each `vocab` entry, after every cheaper check.
    public func validate() throws(ModelMetadataError) {
        if formatVersion > Self.currentFormatVersion { throw .newerFormat(formatVersion) }
        if formatVersion < 1 { throw .invalidValue(key: "format_version", reason: "is \(formatVersion); it must be 1") }
        try Self.checkRange(hiddenSize, key: "hidden_size", limit: Self.maxHiddenSize)
        try Self.checkRange(numLayers, key: "num_layers", limit: Self.maxLayers)
        if cell == .tutorial && numLayers != 1 {
            throw .invalidValue(key: "num_layers", reason: "is \(numLayers); a \"tutorial\" cell has exactly one layer")
        }
        if normalization != "NFC" {
            throw .invalidValue(key: "normalization", reason: "is \(String(reflecting: normalization)); "
                + "this charrnn supports only \"NFC\": upgrade charrnn")
        }
        try validateForecast()
        if vocab.isEmpty && task != .forecaster { throw .invalidValue(key: "vocab", reason: "is empty; a model needs at least one token") }
        if vocab.count > Self.maxVocabulary {
            throw .invalidValue(key: "vocab", reason: "has \(vocab.count) entries; at most \(Self.maxVocabulary) are allowed")
        }
        try Self.checkUnique(vocab, key: "vocab")
        for (key, id) in [("unknown_token", unknownToken), ("end_token", endToken)] {
            if let id, !vocab.indices.contains(id) {
                throw .invalidValue(key: key, reason: "is \(id), outside the vocabulary of \(vocab.count) tokens")
            }
        }
        switch (task, endToken) {
        case (.conditionalGenerator, nil):
            throw .invalidValue(key: "end_token", reason: "is missing or null; a conditional-generator needs one "
                + "(it starts every name and ends it)")
        case (.languageModel, let id?), (.classifier, let id?):
            throw .invalidValue(key: "end_token", reason: "is \(id), but a \(task.rawValue) has no end token "
                + "(only a conditional-generator has one)")
        default: break
        }
        if categories.count > Self.maxCategories {
            throw .invalidValue(key: "categories", reason: "has \(categories.count) entries; at most "
                + "\(Self.maxCategories) are allowed")
        }
        if task.needsCategories && categories.isEmpty {
            throw .invalidValue(key: "categories", reason: "is missing or empty; a \(task.rawValue) model needs them")
        }
        if !task.needsCategories && !categories.isEmpty {
            throw .invalidValue(key: "categories", reason: "has \(categories.count) entries, but a \(task.rawValue) "
                + "has no categories")
        }
        try Self.checkUnique(categories, key: "categories")
        if let decoder {
            if task != .languageModel {
                throw .invalidValue(key: "decoder", reason: "is adaptive, but only a language-model may have an adaptive decoder")
            }
            if cell == .tutorial {
                throw .invalidValue(key: "decoder", reason: "is adaptive, but the tutorial cell has its own output layer (i2o)")
            }
            if let problem = decoder.problem(vocabularySize: vocab.count, hiddenSize: hiddenSize) {
                throw .invalidValue(key: "decoder", reason: problem)
            }
        }
        if parameterCount == nil {
            throw .invalidValue(key: "hidden_size", reason: "makes a network with more parameters than an Int can count")
        }
        try checkTokens()
    }

    /// The number of weights and biases the metadata implies (the elements of every tensor of
    /// [the format's table](docs/model-format.md#tensors)), computed with overflow checks; nil
    /// when it does not fit an `Int` (never, within the limits ``validate()`` enforces).
    public var parameterCount: Int? {
        func product(_ x: Int, _ y: Int) -> Int? {
            let (value, overflow) = x.multipliedReportingOverflow(by: y)
            return overflow || x < 0 || y < 0 ? nil : value
        }
        func sum(_ x: Int, _ y: Int) -> Int? {
            let (value, overflow) = x.addingReportingOverflow(y)
            return overflow ? nil : value
        }
        let h = hiddenSize
        guard let gh = product(cell.gateCount, h),
              var input = task == .conditionalGenerator ? sum(vocab.count, categories.count) : vocab.count
        else { return nil }
        var output = task == .classifier ? categories.count : vocab.count
        if task == .forecaster, let forecast { (input, output) = (ForecastSettings.inputWidth, forecast.horizon) }
        if cell == .tutorial {  // i2h [H, In + H] + [H], i2o [Out, In + H] + [Out]: (H + Out)(In + H + 1)
            return sum(h, output).flatMap { rows in sum(input, h).flatMap { sum($0, 1) }.flatMap { product(rows, $0) } }
        }
        // Each layer: weight_ih [G·H, In (layer 0) or H], weight_hh [G·H, H], two biases [G·H],
        // that is G·H · (columns + H + 2); then decoder.weight [Out, H] and decoder.bias [Out].
        guard numLayers >= 1, let first = sum(input, h).flatMap({ sum($0, 2) }).flatMap({ product(gh, $0) }),
              let other = sum(h, h).flatMap({ sum($0, 2) }).flatMap({ product(gh, $0) }),
              let others = product(other, numLayers - 1),
              let decoder = self.decoder.map({ $0.parameterCount(hiddenSize: h, vocabularySize: output) })
                ?? sum(h, 1).flatMap({ product(output, $0) })
        else { return nil }
        return sum(first, others).flatMap { sum($0, decoder) }
    }

    /// Each `vocab` entry must be exactly one token of `unit`, as the model's tokenizer (case
    /// mapping, NFC, segmentation) cuts it on its own.
    private func checkTokens() throws(ModelMetadataError) {
        let tokenizer: Tokenizer
        do { tokenizer = try Tokenizer(unit: unit, caseMapping: caseMapping) } catch {
            throw .invalidValue(key: "unit", reason: "cannot be checked: \(error)")
        }
        for (index, entry) in vocab.enumerated() {
            var count = 0
            do { try tokenizer.forEachToken(in: entry) { _ in count += 1 } } catch {
                throw .invalidValue(key: "vocab", reason: "entry \(index) cannot be tokenized: \(error)")
            }
            guard count != 1 else { continue }
            let what = count == 0 ? "entry \(index) is the empty string"
                : "entry \(index), \(describeToken(entry)), is \(count) \(unit.rawValue)s"
            let after = caseMapping == .lower ? "after lowercasing and NFC" : "after NFC"
            throw .invalidValue(key: "vocab", reason: "\(what); every entry must be exactly one \(unit.rawValue) (\(after))")
        }
    }

    private static func checkRange(_ value: Int, key: String, limit: Int) throws(ModelMetadataError) {
        if value < 1 { throw .invalidValue(key: key, reason: "is \(value); it must be at least 1") }
        if value > limit { throw .invalidValue(key: key, reason: "is \(value); it must be at most \(limit)") }
    }

    private static func checkUnique(_ names: [String], key: String) throws(ModelMetadataError) {
        var seen: [String: Int] = [:]
        for (index, name) in names.enumerated() {
            if let first = seen.updateValue(index, forKey: name) {
                throw .invalidValue(key: key, reason: "lists \(String(reflecting: name)) twice (at \(first) and \(index))")
            }
        }
    }

    // MARK: - Reading and writing

    /// Reads and checks metadata from the JSON text stored under `__metadata__["charrnn"]`.
    ///
    /// Keys this version does not know are ignored; keys with defaults may be absent or null.
    /// No object in the text may hold a key twice (compared after unescaping), at any depth.
    ///
    /// - Throws: `ModelMetadataError` naming the first key that is missing, wrong or repeated.
    public static func decode(fromMetadataString text: String) throws(ModelMetadataError) -> ModelMetadata {
        // A repeated key first, since the decoder would silently read only one of its values;
        // but text that is not JSON at all is reported as such.
        if let duplicate = firstDuplicateKey(inJSON: text),
           (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)) != nil
        {
            throw .duplicateKey(duplicate.key, path: duplicate.path)
        }
        do {
            return try JSONDecoder().decode(ModelMetadata.self, from: Data(text.utf8))
        } catch let error as ModelMetadataError {
            throw error
        } catch {
            throw .notJSON(reason: Self.reason(error))
        }
    }

    /// The metadata as compact JSON with sorted keys, for `__metadata__["charrnn"]`.
    ///
    /// - Throws: `ModelMetadataError` if ``validate()`` fails, or `training` holds a number
    ///   JSON cannot write (infinity or NaN).
    public func encodedString() throws(ModelMetadataError) -> String {
        try validate()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(self), as: UTF8.self)
        } catch {
            throw .invalidValue(key: "training", reason: "cannot be written as JSON (\(Self.reason(error)))")
        }
    }

    private static func reason(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .dataCorrupted(let context)?: "\(context.underlyingError.map { "\($0)" } ?? context.debugDescription)"
        case .typeMismatch(_, let context)?: context.debugDescription
        default: "\(error)"
        }
    }

    // MARK: - Codable

    private enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", task, cell, hiddenSize = "hidden_size", numLayers = "num_layers"
        case unit, normalization, caseMapping = "case", vocab, unknownToken = "unknown_token"
        case endToken = "end_token", categories, training
        case forecast, decoder
    }

    /// Decodes and checks; errors are `ModelMetadataError`s naming the key.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func value<T: Decodable>(_ key: CodingKeys, _ expected: String) throws(ModelMetadataError) -> T? {
            do {
                return try container.decodeIfPresent(T.self, forKey: key)
            } catch {
                throw .wrongType(key: key.stringValue, expected: expected)
            }
        }
        func required<T: Decodable>(_ key: CodingKeys, _ expected: String) throws(ModelMetadataError) -> T {
            guard let result: T = try value(key, expected) else { throw .missingKey(key.stringValue) }
            return result
        }
        func choice<T: RawRepresentable<String> & CaseIterable>(_ key: CodingKeys, default fallback: T? = nil) throws(ModelMetadataError) -> T {
            let name: String? = try value(key, "a string")
            guard let name else {
                if let fallback { return fallback }
                throw .missingKey(key.stringValue)
            }
            guard let result = T(rawValue: name) else {
                let known = T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                throw .invalidValue(key: key.stringValue, reason: "is \(String(reflecting: name)); expected one of \(known)")
            }
            return result
        }

        // The version first: a newer format may have changed any other key.
        formatVersion = try required(.formatVersion, "an integer")
        if formatVersion > Self.currentFormatVersion { throw ModelMetadataError.newerFormat(formatVersion) }
        task = try choice(.task)
        cell = try choice(.cell)
        hiddenSize = try required(.hiddenSize, "an integer")
        numLayers = try required(.numLayers, "an integer")
        unit = try choice(.unit, default: .grapheme)
        normalization = try value(.normalization, "a string") ?? "NFC"
        caseMapping = try choice(.caseMapping, default: .preserve)
        vocab = task == .forecaster ? try value(.vocab, "an array of strings") ?? [] : try required(.vocab, "an array of strings")
        unknownToken = try value(.unknownToken, "an integer id or null")
        endToken = try value(.endToken, "an integer id or null")
        categories = try value(.categories, "an array of strings") ?? []
        training = try value(.training, "an object") ?? [:]
        forecast = try value(.forecast, "an object")
        self.decoder = try value(.decoder, "an object {\"kind\": \"adaptive\", \"cutoffs\": [increasing integers], "
            + "\"div_value\": a number}, or absent for the linear decoder")
        try validate()
    }

    /// Encodes every key, with null for absent token ids.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(formatVersion, forKey: .formatVersion)
        try container.encode(task, forKey: .task)
        try container.encode(cell, forKey: .cell)
        try container.encode(hiddenSize, forKey: .hiddenSize)
        try container.encode(numLayers, forKey: .numLayers)
        try container.encode(unit, forKey: .unit)
        try container.encode(normalization, forKey: .normalization)
        try container.encode(caseMapping, forKey: .caseMapping)
        try container.encode(vocab, forKey: .vocab)
        try container.encode(unknownToken, forKey: .unknownToken)
        try container.encode(endToken, forKey: .endToken)
        try container.encode(categories, forKey: .categories)
        try container.encode(training, forKey: .training)
        try container.encodeIfPresent(forecast, forKey: .forecast)
        try container.encodeIfPresent(decoder, forKey: .decoder)  // absent: the linear decoder
    }
}

// MARK: - Free-form JSON

/// Any JSON value, so that free-form objects (such as `training`) round-trip unchanged.
///
/// Numbers are `Double`s, as in JavaScript: integers are exact up to 2^53, and whole numbers are
/// written without a fraction (`12000`, not `12000.0`).
public enum JSONValue: Codable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
