// MARK: - From a model's metadata to its tokenizer and vocabulary: the one place text meets ids

/// How a model turns text into ids and back: its tokenizer (unit, case, NFC) and vocabulary
/// (with its unknown and end tokens), as its metadata says.
///
/// Not thread-safe (the tokenizer owns ICU break iterators): give each thread its own.
public final class TextCodec {
    /// Cuts text into tokens as the model was trained: NFC, the model's case mapping, and
    /// grapheme clusters or ICU words.
    public let tokenizer: Tokenizer
    /// The model's tokens in id order, with its unknown and end tokens.
    public let vocabulary: Vocabulary

    /// The codec of a model.
    ///
    /// - Parameter metadata: the model's metadata (unit, case mapping, vocabulary, unknown and
    ///   end tokens).
    /// - Throws: ``ICUError`` when ICU cannot open the tokenizer; ``VocabularyError`` when the
    ///   vocabulary lists a token twice or its unknown or end token id is out of range.
    public init(_ metadata: ModelMetadata) throws {
        tokenizer = try Tokenizer(unit: metadata.unit, caseMapping: metadata.caseMapping)
        vocabulary = try Vocabulary(tokens: metadata.vocab, unknownToken: metadata.unknownToken, endToken: metadata.endToken)
    }

    /// The ids of `text`. A letter outside the vocabulary becomes the unknown token and is
    /// listed in `unseen`; without an unknown token it is an error naming it.
    ///
    /// - Parameters:
    ///   - text: the text to encode; it is brought to NFC and cased as the model was trained.
    ///   - what: how the error names the text ("the seed", "Schmidt").
    /// - Returns: the ids, one per token, and the tokens outside the vocabulary in the order
    ///   they occur (empty when every token is known).
    /// - Throws: ``CharRNNError`` naming up to 8 unknown tokens when the vocabulary has no
    ///   unknown token; ``ICUError`` when ICU fails on the text.
    public func encode(_ text: String, what: String = "the text") throws -> (ids: [Int32], unseen: [String]) {
        var ids: [Int32] = []
        var unseen: [String] = []
        for token in try tokenizer.tokens(text) {
            if let id = vocabulary.id(of: token) {
                ids.append(Int32(id))
            } else {
                unseen.append(token)
                if let unknown = vocabulary.unknownToken { ids.append(Int32(unknown)) }
            }
        }
        if !unseen.isEmpty && vocabulary.unknownToken == nil {
            throw CharRNNError("\(what) has letters the model never saw: "
                + unseen.prefix(8).map(describeToken).joined(separator: ", ") + (unseen.count > 8 ? ", …" : ""))
        }
        return (ids, unseen)
    }

    /// The text of some ids (each id's token string, concatenated).
    ///
    /// - Parameter ids: ids of the vocabulary; each must be below `vocabulary.count`.
    /// - Returns: the tokens' strings joined, with nothing between them.
    public func text(_ ids: some Sequence<Int>) -> String {
        ids.map { vocabulary.tokens[$0] }.joined()
    }
}
