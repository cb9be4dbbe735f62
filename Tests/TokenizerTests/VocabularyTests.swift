// Vocabulary: deterministic ids, reserved tokens, JSON round trips, encode/decode round trips.

import Foundation
import TestSupport
import Testing
import Tokenizer

@Suite("Vocabulary")
struct VocabularyTests {
    static func counts(_ text: String, unit: TokenUnit = .grapheme) throws -> TokenCounts {
        var counts = TokenCounts()
        try Tokenizer(unit: unit).forEachToken(in: text) { counts.add($0) }
        return counts
    }

    @Test func idsByFrequencyThenCodePoint() throws {
        let vocabulary = try Vocabulary(counts: Self.counts("banana band\n"))
        // a ×4, n ×3, b ×2, then d, space, newline once each in code-point order.
        #expect(vocabulary.tokens == ["a", "n", "b", "\n", " ", "d"])
        #expect(vocabulary.id(of: "b") == 2)
        #expect(vocabulary.id(of: "z") == nil)
        #expect(vocabulary.unknownToken == nil && vocabulary.endToken == nil)
    }

    @Test func reservedTokensComeFirst() throws {
        let counts = try Self.counts("abcaba")
        let vocabulary = try Vocabulary(counts: counts, minCount: 2, unknownToken: "\u{FFFD}", endToken: "\n")
        #expect(vocabulary.tokens == ["\n", "\u{FFFD}", "a", "b"])
        #expect(vocabulary.endToken == 0 && vocabulary.unknownToken == 1)
        // "c" was seen once, below minCount: it becomes the unknown token.
        #expect(try vocabulary.encode(["a", "c", "b", "\n"]) == [2, 1, 3, 0])
        let capped = try Vocabulary(counts: counts, maxSize: 3, unknownToken: "<unk>")
        #expect(capped.tokens == ["<unk>", "a", "b"])
    }

    @Test func unknownTokenWithoutFallbackIsAnError() throws {
        let vocabulary = try Vocabulary(tokens: ["a", "b"])
        #expect(throws: VocabularyError.unknownToken("c", index: 2)) { try vocabulary.encode(["a", "b", "c"]) }
        #expect(throws: VocabularyError.invalidID(5, count: 2)) { try vocabulary.decode([0, 5]) }
        #expect(throws: VocabularyError.duplicateToken("a")) { try Vocabulary(tokens: ["a", "b", "a"]) }
        #expect(throws: VocabularyError.idOutOfRange(name: "unknown token", id: 2, count: 2)) {
            try Vocabulary(tokens: ["a", "b"], unknownToken: 2)
        }
    }

    @Test func jsonRoundTrip() throws {
        let vocabulary = try Vocabulary(counts: Self.counts("春眠不觉晓，\n处处闻啼鸟。 👨‍👩‍👧 \"q\"\\"),
                                        unknownToken: "\u{FFFD}", endToken: "\n")
        let data = try JSONEncoder().encode(vocabulary)
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        #expect(object["vocab"] as? [String] == vocabulary.tokens)
        #expect(object["unknown_token"] as? Int == 1)
        #expect(object["end_token"] as? Int == 0)
        #expect(try JSONDecoder().decode(Vocabulary.self, from: data) == vocabulary)

        let plain = try JSONDecoder().decode(Vocabulary.self, from: Data(#"{"vocab": ["x", "y"]}"#.utf8))
        #expect(plain.tokens == ["x", "y"] && plain.unknownToken == nil && plain.endToken == nil)
        for bad in [#"{"vocab": ["x", "x"]}"#, #"{"vocab": ["x"], "end_token": 1}"#, #"{"vocab": "x"}"#, "{}"] {
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(Vocabulary.self, from: Data(bad.utf8)) }
        }
    }

    /// Any NFC text made of known tokens survives text → tokens → ids → text, for both units,
    /// on the shipped Chinese and English corpora.
    @Test(arguments: ["Corpora/tang300.txt", "Corpora/song100.txt", "Corpora/kjv.txt"], TokenUnit.allCases)
    func encodeDecodeRoundTrip(corpus: String, unit: TokenUnit) throws {
        let source = try TextSource(path: packageRoot + "/" + corpus, chunkSize: 1 << 16)
        guard let chunk = try source.next() else { Issue.record("empty corpus"); return }
        let tokenizer = try Tokenizer(unit: unit)
        let tokens = try tokenizer.tokens(chunk.text)
        var counts = TokenCounts()
        tokens.forEach { counts.add($0) }
        let vocabulary = try Vocabulary(counts: counts)
        let ids = try vocabulary.encode(tokens)
        #expect(ids.count == tokens.count)
        let text = try vocabulary.decode(ids)
        #expect(Array(text.utf8) == Array(chunk.text.utf8))
        #expect(try vocabulary.encode(tokenizer.tokens(text)) == ids)
    }
}
