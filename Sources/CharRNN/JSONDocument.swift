// MARK: - The JSON documents the tool prints and the server answers

import Foundation

/// `value` as the JSON document charrnn writes: pretty-printed with sorted keys and unescaped
/// slashes. The command line (`--format json`) and the HTTP server both encode through here,
/// so that the same result gives the same document.
///
/// - Parameter value: a document: ``Generation``, `[ClassifiedName]`, a ``Score``, …
/// - Returns: the document's UTF-8 text without a final line break; `null` if the value cannot be
///   encoded (a non-finite number, which none of charrnn's documents hold).
public func jsonDocument(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
}

/// What a model file holds, as `charrnn info --format json` prints it and `GET /api/models`
/// lists it: task, cell, sizes, vocabulary size, categories, parameters, tokenizer settings,
/// special tokens and the training record.
public struct ModelSummary: Encodable, Sendable {
    /// The file's metadata.
    public let metadata: ModelMetadata
    /// The number of weights and biases.
    public let parameters: Int

    /// The summary of a model file read from disk.
    ///
    /// - Parameter file: the model file.
    public init(_ file: ModelFile) {
        metadata = file.metadata
        parameters = file.network.parameterCount
    }

    private enum CodingKeys: String, CodingKey {
        case task, cell, hiddenSize = "hidden_size", numLayers = "num_layers", vocabulary, categories, parameters, unit
        case caseMapping = "case", training, unknownToken = "unknown_token", endToken = "end_token"
        case forecast, decoder
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let m = metadata
        try c.encode(m.task.rawValue, forKey: .task)
        try c.encode(m.cell.rawValue, forKey: .cell)
        try c.encode(m.hiddenSize, forKey: .hiddenSize)
        try c.encode(m.numLayers, forKey: .numLayers)
        try c.encode(m.vocab.count, forKey: .vocabulary)
        try c.encode(m.categories, forKey: .categories)
        try c.encode(parameters, forKey: .parameters)
        try c.encode(m.unit.rawValue, forKey: .unit)
        try c.encode(m.caseMapping.rawValue, forKey: .caseMapping)
        try c.encode(m.training, forKey: .training)
        try c.encode(m.unknownToken, forKey: .unknownToken)  // null when absent, as before
        try c.encode(m.endToken, forKey: .endToken)
        try c.encodeIfPresent(m.forecast, forKey: .forecast)  // a forecaster's only
        try c.encodeIfPresent(m.decoder, forKey: .decoder)  // as in the model file: absent for the linear decoder
    }
}

/// The JSON document of `charrnn verse --format json`: each poem's analysis and the summary.
public struct VerseDocument: Encodable, Sendable {
    public var poems: [VersePoemReport]?
    public var summary: VerseSummaryReport

    /// The document of `poems` (nil: the summary alone) and their `summary`.
    public init(poems: [VersePoemReport]?, summary: VerseSummary) {
        self.poems = poems
        self.summary = VerseSummaryReport(summary)
    }
}

/// One poem of ``VerseDocument``: its analysis, or the reason it could not be checked.
public struct VersePoemReport: Encodable, Sendable {
    public struct Line: Encodable, Sendable {
        /// The verse, each character's tone (平仄中), the rhyme groups of its last character, of
        /// every character ("—": none), and the rules it breaks.
        var text: String, tones: String, rhyme: String, groups: [String], breaks: [Int]
    }
    var poem: Int
    var error: String?
    var passes: Bool?
    var characters_per_verse: Int?
    var pattern: String?
    var pattern_mismatches: Int?
    var rhyme: String?
    var verses: [Line]?

    public init(poem: Int, _ result: Result<VerseAnalysis, VerseError>) {
        self.poem = poem
        switch result {
        case .failure(let e): error = e.description
        case .success(let a):
            passes = a.passes
            characters_per_verse = a.charactersPerVerse
            pattern = a.closestPattern.name
            pattern_mismatches = a.patternMismatches
            rhyme = a.rhyme.names
            verses = a.verses.map { v in
                Line(text: v.characters.joined(), tones: v.tones.map(\.symbol).joined(),
                     rhyme: v.groups[a.charactersPerVerse - 1].names, groups: v.groups.map(\.names),
                     breaks: v.broken.map(\.rawValue))
            }
        }
    }
}

/// The summary of ``VerseDocument``: poems read, checked, skipped and passing, and how many keep each rule.
public struct VerseSummaryReport: Encodable, Sendable {
    var poems: Int, checked: Int, skipped: Int, passing: Int
    /// Poems keeping rule 1…6.
    var keeping: [Int]

    public init(_ s: VerseSummary) {
        (poems, checked, skipped, passing, keeping) = (s.poems, s.checked, s.skipped, s.passing, s.keeping)
    }
}
