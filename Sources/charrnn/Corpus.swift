// MARK: - Text files to token ids, for training and evaluation

import Model
import Tokenizer

/// A text turned into token ids: read in chunks, normalized, cut and counted in one pass.
struct EncodedCorpus {
    var vocabulary: Vocabulary
    var ids: [Int32]
    var characters: Int

    /// Reads `path` and builds its vocabulary (every token it holds, most frequent first).
    init(path: String, unit: TokenUnit, caseMapping: CaseMapping, lossy: Bool = false) throws {
        let source = try TextSource(path: path, lossy: lossy)
        let tokenizer = try Tokenizer(unit: unit, caseMapping: caseMapping)
        // Provisional ids in order of first appearance, renumbered by frequency at the end.
        var provisional: [String: Int32] = [:]
        var seen: [String] = []
        var ids: [Int32] = []
        while let chunk = try source.next() {
            try tokenizer.forEachToken(in: chunk.text) { token in
                if let id = provisional[token] {
                    ids.append(id)
                } else {
                    let id = Int32(seen.count)
                    provisional[token] = id
                    seen.append(token)
                    ids.append(id)
                }
            }
        }
        var occurrences = [Int](repeating: 0, count: seen.count)
        for id in ids { occurrences[Int(id)] += 1 }
        var counts = TokenCounts()
        for (id, token) in seen.enumerated() { counts.add(token, count: occurrences[id]) }
        let vocabulary = try Vocabulary(counts: counts)
        let renumber = seen.map { Int32(vocabulary.id(of: $0)!) }
        self.vocabulary = vocabulary
        self.ids = ids.map { renumber[Int($0)] }
        characters = ids.count
        if source.replacements > 0 {
            printNote("\(path): replaced \(source.replacements) invalid UTF-8 sequence(s) with U+FFFD")
        }
    }

    /// Reads `path` with the vocabulary and text settings of a model.
    init(path: String, model metadata: ModelMetadata) throws {
        let vocabulary = try Vocabulary(tokens: metadata.vocab, unknownToken: metadata.unknownToken,
                                        endToken: metadata.endToken)
        let source = try TextSource(path: path)
        let tokenizer = try Tokenizer(unit: TokenUnit(rawValue: metadata.unit.rawValue) ?? .grapheme,
                                      caseMapping: CaseMapping(rawValue: metadata.textCase.rawValue) ?? .preserve)
        var ids: [Int32] = []
        while let chunk = try source.next() {
            var line = chunk.firstLine, column = 1
            try tokenizer.forEachToken(in: chunk.text) { token in
                guard let id = vocabulary.id(of: token) ?? vocabulary.unknownToken else {
                    throw CommandError("\(path): line \(line), character \(column): \(describeToken(token)) is not "
                        + "in the model's vocabulary, and the model has no unknown token; remove it from the text")
                }
                ids.append(Int32(id))
                if token.utf8.last == 0x0A { line += 1; column = 1 } else { column += 1 }
            }
        }
        self.vocabulary = vocabulary
        self.ids = ids
        characters = ids.count
    }
}

/// A command's failure, as the one line the user reads.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
