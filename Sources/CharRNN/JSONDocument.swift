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
