// The Tokenizer module turns Unicode text into the "letters" a model sees, and back.
//
// Text is brought to NFC (and optionally lowercased) and cut with ICU's break iterators into
// extended grapheme clusters (UAX #29) or words (UAX #29 plus ICU's dictionaries for Chinese and
// other scripts written without spaces). Every piece between two boundaries is a token, spaces and
// punctuation included, so the tokens of a text concatenate back to its normalized form.
// `TextSource` reads files as a stream of whole lines; `Vocabulary` maps tokens to ids;
// `foldDiacriticsAndCase` gives the key under which two spellings of a name count as one.

import CICU

/// What one token of text is.
public enum TokenUnit: String, Codable, CaseIterable, Sendable {
    /// An extended grapheme cluster: what a reader sees as one character (`é`, `👨‍👩‍👧`, `春`).
    case grapheme
    /// A segment between two ICU word boundaries in the root locale: a word, a run of spaces,
    /// or a punctuation mark. Chinese is split into words with ICU's dictionary.
    case word
}

/// How letter case is treated before segmentation.
public enum CaseMapping: String, Codable, CaseIterable, Sendable {
    /// Keep the text's case.
    case preserve
    /// Lowercase with the root locale's full case mapping (ICU `u_strToLower`).
    case lower
}

/// Normalizes text and cuts it into tokens.
///
/// A tokenizer owns ICU break iterators, so it is not thread-safe: give each thread its own.
public final class Tokenizer {
    /// What a token is.
    public let unit: TokenUnit
    /// Whether text is lowercased before it is cut.
    public let caseMapping: CaseMapping

    private let iterator: BreakIterator
    private var bytes: [UInt8] = []

    /// Creates a tokenizer.
    ///
    /// - Parameters:
    ///   - unit: grapheme clusters (the default) or words.
    ///   - caseMapping: keep case (the default) or lowercase.
    /// - Throws: `ICUError` when ICU cannot open a break iterator (its data is missing).
    public init(unit: TokenUnit = .grapheme, caseMapping: CaseMapping = .preserve) throws(ICUError) {
        self.unit = unit
        self.caseMapping = caseMapping
        self.iterator = try BreakIterator(unit == .word ? CICUBreakWord : CICUBreakCharacter)
    }

    /// The normalized form of `text`: NFC, lowercased first when the tokenizer lowercases.
    public func normalize(_ text: String) throws(ICUError) -> String {
        try load(text, normalizing: true)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The tokens of `text` after normalization; they concatenate to `normalize(text)`.
    ///
    /// - Complexity: O(n) in the length of `text`.
    public func tokens(_ text: String) throws -> [String] {
        var tokens: [String] = []
        try forEachToken(in: text) { tokens.append($0) }
        return tokens
    }

    /// Calls `body` with each token of `text` after normalization, in order.
    public func forEachToken(in text: String, _ body: (String) throws -> Void) throws {
        try load(text, normalizing: true)
        try cut(body)
    }

    /// The tokens of `text` exactly as it is, without normalization or case mapping: the raw
    /// segmentation, as the Unicode conformance tests specify it.
    public func segment(_ text: String) throws -> [String] {
        try load(text, normalizing: false)
        var tokens: [String] = []
        try cut { tokens.append($0) }
        return tokens
    }

    // MARK: - Internals

    private func load(_ text: String, normalizing: Bool) throws(ICUError) {
        bytes.removeAll(keepingCapacity: true)
        bytes.append(contentsOf: text.utf8)
        guard normalizing else { return }
        if caseMapping == .lower { try lowercase(&bytes) }
        try normalizeNFC(&bytes)
    }

    private func cut(_ body: (String) throws -> Void) throws {
        try bytes.withUnsafeBufferPointer { text in
            try iterator.withBoundaries(of: text) { bounds in
                guard bounds.count > 1 else { return }
                var start = Int(bounds[0])
                for b in bounds.dropFirst() {
                    let end = Int(b)
                    try body(String(decoding: UnsafeBufferPointer(rebasing: text[start..<end]), as: UTF8.self))
                    start = end
                }
            }
        }
    }
}
