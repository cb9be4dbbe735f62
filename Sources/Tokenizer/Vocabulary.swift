// MARK: - Vocabulary: tokens ⇄ ids

/// Why tokens could not be turned into ids, or a vocabulary could not be made.
public enum VocabularyError: Error, Equatable, CustomStringConvertible, Sendable {
    /// `token`, at position `index` of the input (counted in tokens from 0), is not in the
    /// vocabulary, which has no unknown token to stand for it.
    case unknownToken(String, index: Int)
    /// The same token appears twice in a vocabulary's list.
    case duplicateToken(String)
    /// A reserved id (unknown or end token) lies outside the vocabulary.
    case idOutOfRange(name: String, id: Int, count: Int)
    /// An id to decode lies outside the vocabulary.
    case invalidID(Int, count: Int)

    public var description: String {
        switch self {
        case .unknownToken(let token, let index):
            return "token \(describeToken(token)) at token \(index) is not in the vocabulary, "
                + "and the vocabulary has no unknown token"
        case .duplicateToken(let token):
            return "the vocabulary lists \(describeToken(token)) twice"
        case .idOutOfRange(let name, let id, let count):
            return "the \(name) id \(id) is outside the vocabulary of \(count) tokens"
        case .invalidID(let id, let count):
            return "id \(id) is outside the vocabulary of \(count) tokens"
        }
    }
}

/// A token in quotes, with its code points: readable even for spaces and control characters.
public func describeToken(_ token: String) -> String {
    let points = token.unicodeScalars.map { "U+" + String($0.value, radix: 16, uppercase: true).leftPadded(to: 4) }
    return "\"\(token.debugDescription.dropFirst().dropLast())\" (\(points.joined(separator: " ")))"
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// The tokens a model knows, each with an id from 0.
///
/// Ids are deterministic: the end token first (when there is one), then the unknown token (when
/// there is one), then the corpus's tokens from most to least frequent, ties in code-point order.
/// A vocabulary built this way maps any normalized text made of its tokens to ids and back
/// unchanged. In JSON it is `{"vocab": [...], "unknown_token": id|null, "end_token": id|null}`,
/// the keys of the model file's metadata.
public struct Vocabulary: Hashable, Codable, Sendable {
    /// The token strings in id order.
    public let tokens: [String]
    /// The id of the token that stands for tokens outside the vocabulary, if any.
    public let unknownToken: Int?
    /// The id of the end token (end of a name; it is also the start marker), if any.
    public let endToken: Int?

    private let ids: [String: Int]

    /// How many tokens (ids) there are.
    public var count: Int { tokens.count }

    /// Creates a vocabulary from its tokens in id order.
    ///
    /// - Throws: `VocabularyError` if a token repeats or a reserved id is out of range.
    public init(tokens: [String], unknownToken: Int? = nil, endToken: Int? = nil) throws(VocabularyError) {
        var ids: [String: Int] = [:]
        ids.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() {
            if ids.updateValue(id, forKey: token) != nil { throw .duplicateToken(token) }
        }
        for (name, id) in [("unknown token", unknownToken), ("end token", endToken)] {
            if let id, !tokens.indices.contains(id) {
                throw .idOutOfRange(name: name, id: id, count: tokens.count)
            }
        }
        self.tokens = tokens
        self.unknownToken = unknownToken
        self.endToken = endToken
        self.ids = ids
    }

    /// Builds a vocabulary from token counts.
    ///
    /// - Parameters:
    ///   - counts: how often each token occurs in the corpus.
    ///   - minCount: tokens seen fewer times are left out (they become the unknown token).
    ///   - maxSize: at most this many tokens in all, reserved ones included; the rarest go.
    ///   - unknownToken: the string of a token standing for everything left out, or nil.
    ///   - endToken: the string of an end-of-sequence token, or nil.
    public init(
        counts: TokenCounts, minCount: Int = 1, maxSize: Int? = nil,
        unknownToken: String? = nil, endToken: String? = nil
    ) throws(VocabularyError) {
        var tokens: [String] = []
        if let endToken { tokens.append(endToken) }
        if let unknownToken, unknownToken != endToken { tokens.append(unknownToken) }
        let reserved = Set(tokens)
        var kept = counts.sorted.lazy.filter { $0.count >= minCount && !reserved.contains($0.token) }.map(\.token)
            .makeIterator()
        while maxSize.map({ tokens.count < $0 }) ?? true, let token = kept.next() { tokens.append(token) }
        try self.init(
            tokens: tokens,
            unknownToken: unknownToken.map { tokens.firstIndex(of: $0)! },
            endToken: endToken == nil ? nil : 0)
    }

    /// The id of `token`, or nil when it is not in the vocabulary.
    public func id(of token: String) -> Int? { ids[token] }

    /// The ids of `tokens`; a token outside the vocabulary becomes the unknown token.
    ///
    /// - Throws: `VocabularyError.unknownToken` when a token is outside the vocabulary and there
    ///   is no unknown token.
    public func encode(_ tokens: some Sequence<String>) throws(VocabularyError) -> [Int] {
        var result: [Int] = []
        result.reserveCapacity(tokens.underestimatedCount)
        for (index, token) in tokens.enumerated() {
            guard let id = ids[token] ?? unknownToken else { throw .unknownToken(token, index: index) }
            result.append(id)
        }
        return result
    }

    /// The text of `ids`: their tokens concatenated.
    ///
    /// - Throws: `VocabularyError.invalidID` for an id outside the vocabulary.
    public func decode(_ ids: some Sequence<Int>) throws(VocabularyError) -> String {
        var text = ""
        for id in ids {
            guard tokens.indices.contains(id) else { throw .invalidID(id, count: tokens.count) }
            text += tokens[id]
        }
        return text
    }

    // MARK: Codable

    private enum CodingKeys: String, CodingKey {
        case tokens = "vocab"
        case unknownToken = "unknown_token"
        case endToken = "end_token"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let tokens = try container.decode([String].self, forKey: .tokens)
        let unknown = try container.decodeIfPresent(Int.self, forKey: .unknownToken)
        let end = try container.decodeIfPresent(Int.self, forKey: .endToken)
        do {
            try self.init(tokens: tokens, unknownToken: unknown, endToken: end)
        } catch {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tokens, forKey: .tokens)
        try container.encode(unknownToken, forKey: .unknownToken)
        try container.encode(endToken, forKey: .endToken)
    }

    public static func == (a: Vocabulary, b: Vocabulary) -> Bool {
        a.tokens == b.tokens && a.unknownToken == b.unknownToken && a.endToken == b.endToken
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(tokens)
        hasher.combine(unknownToken)
        hasher.combine(endToken)
    }
}
