// The library's text edge: a model's metadata gives one tokenizer and vocabulary.

import CharRNN
import Testing

@Suite("TextCodec")
struct TextCodecTests {
    @Test func unknownLettersBecomeTheUnknownTokenOrAnError() throws {
        let open = try ModelMetadata(task: .languageModel, cell: .rnnTanh, hiddenSize: 2, numLayers: 1,
                                     caseMapping: .lower, vocab: ["a", "b", "\u{FFFD}"], unknownToken: 2)
        let codec = try TextCodec(open)
        let (ids, unseen) = try codec.encode("ABz")
        #expect(ids == [0, 1, 2])
        #expect(unseen == ["z"])
        #expect(codec.text([1, 0]) == "ba")

        let closed = try ModelMetadata(task: .languageModel, cell: .rnnTanh, hiddenSize: 2, numLayers: 1, vocab: ["a", "b"])
        #expect(throws: CharRNNError.self) { try TextCodec(closed).encode("abc", what: "the seed") }
    }
}
