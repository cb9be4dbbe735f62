// MARK: - Text files to token ids, for training and evaluation

import Model
import Tokenizer

/// The string of the unknown token, when a vocabulary needs one: U+FFFD REPLACEMENT CHARACTER,
/// which is also what a reader expects in place of a letter that could not be shown.
let unknownTokenString = "\u{FFFD}"

/// A text turned into token ids: read in chunks, normalized, cut and counted in one pass.
struct EncodedCorpus {
    var vocabulary: Vocabulary
    var ids: [Int32]
    /// Letters outside the vocabulary that became the unknown token, with their counts.
    var unknown: [(token: String, count: Int)] = []

    /// Reads `path` and builds its vocabulary from its own letters, most frequent first. Letters
    /// seen fewer than `minCount` times, or beyond the `maxVocabulary` most frequent, become an
    /// unknown token (U+FFFD), which is then added to the vocabulary.
    init(path: String, unit: TokenUnit, caseMapping: CaseMapping, minCount: Int = 1, maxVocabulary: Int? = nil,
         lossy: Bool = false) throws
    {
        let (seen, provisionalIDs, _) = try Self.read(path: path, unit: unit, caseMapping: caseMapping, lossy: lossy)
        var occurrences = [Int](repeating: 0, count: seen.count)
        for id in provisionalIDs { occurrences[Int(id)] += 1 }
        var counts = TokenCounts()
        for (id, token) in seen.enumerated() { counts.add(token, count: occurrences[id]) }
        let needsUnknown = minCount > 1 && occurrences.contains { $0 < minCount }
            || maxVocabulary.map { counts.distinct > $0 } ?? false
        let vocabulary = try Vocabulary(counts: counts, minCount: minCount, maxSize: maxVocabulary,
                                        unknownToken: needsUnknown ? unknownTokenString : nil)
        let renumber = seen.map { Int32(vocabulary.id(of: $0) ?? vocabulary.unknownToken!) }
        self.vocabulary = vocabulary
        ids = provisionalIDs.map { renumber[Int($0)] }
        if vocabulary.unknownToken != nil {
            unknown = seen.enumerated().filter { vocabulary.id(of: $0.element) == nil }
                .map { (token: $0.element, count: occurrences[$0.offset]) }
                .sorted { $0.count > $1.count }
        }
    }

    /// Reads `path` with a model's vocabulary and text settings. Letters the vocabulary lacks
    /// become its unknown token; without one, they are an error that lists them.
    init(path: String, model metadata: ModelMetadata, lossy: Bool = false) throws {
        let vocabulary = try Vocabulary(tokens: metadata.vocab, unknownToken: metadata.unknownToken,
                                        endToken: metadata.endToken)
        let (seen, provisionalIDs, first) = try Self.read(
            path: path, unit: TokenUnit(rawValue: metadata.unit.rawValue) ?? .grapheme,
            caseMapping: CaseMapping(rawValue: metadata.textCase.rawValue) ?? .preserve, lossy: lossy)
        var occurrences = [Int](repeating: 0, count: seen.count)
        for id in provisionalIDs { occurrences[Int(id)] += 1 }
        let missing = seen.enumerated().filter { vocabulary.id(of: $0.element) == nil }
            .map { (token: $0.element, count: occurrences[$0.offset], first: first[$0.offset]) }
            .sorted { $0.first < $1.first }
        if !missing.isEmpty && vocabulary.unknownToken == nil {
            let shown = missing.prefix(8).map { "\(describeToken($0.token)) ×\($0.count), first at token \($0.first)" }
                .joined(separator: "; ")
            throw CommandError("\(path): \(missing.count) letter(s) are not in the model's vocabulary and the model "
                + "has no unknown token: \(shown)\(missing.count > 8 ? ", …" : ""); remove them from the text, or "
                + "train a model whose vocabulary has them")
        }
        let renumber = seen.map { Int32(vocabulary.id(of: $0) ?? vocabulary.unknownToken ?? 0) }
        self.vocabulary = vocabulary
        ids = provisionalIDs.map { renumber[Int($0)] }
        unknown = missing.map { (token: $0.token, count: $0.count) }
    }

    /// One pass over the file: the distinct tokens in order of first appearance, and the text
    /// as indices into that list.
    private static func read(path: String, unit: TokenUnit, caseMapping: CaseMapping, lossy: Bool) throws
        -> (seen: [String], ids: [Int32], first: [Int])
    {
        let source = try TextSource(path: path, lossy: lossy)
        let tokenizer = try Tokenizer(unit: unit, caseMapping: caseMapping)
        var provisional: [String: Int32] = [:]
        var seen: [String] = []
        var ids: [Int32] = []
        var first: [Int] = []  // where each distinct token first occurs (token offset)
        while let chunk = try source.next() {
            try tokenizer.forEachToken(in: chunk.text) { token in
                if let id = provisional[token] {
                    ids.append(id)
                } else {
                    let id = Int32(seen.count)
                    provisional[token] = id
                    seen.append(token)
                    first.append(ids.count)
                    ids.append(id)
                }
            }
        }
        if source.replacements > 0 {
            printNote("\(path): replaced \(source.replacements) invalid UTF-8 sequence(s) with U+FFFD")
        }
        return (seen, ids, first)
    }
}

/// A command's failure, as the one line the user reads.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
