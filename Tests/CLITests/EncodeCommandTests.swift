// charrnn encode: the ids and the vocabulary that the Python package (python/charrnn_torch)
// trains on must be those of charrnn's own readers, letter for letter.

import CharRNN
import Foundation
import Testing
import TestSupport

@Suite("charrnn encode")
struct EncodeCommandTests {
    /// Combining marks, an emoji sequence, CR LF and a rare letter: what a code-point reader
    /// would cut differently from charrnn.
    static let text = String(repeating: "e\u{301}té 👨‍👩‍👧 café\r\nbébé\n\nzz\n", count: 3) + "q\n"

    /// The ids file as integers.
    static func ids(_ path: String) throws -> [Int32] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(data.count % 4 == 0)
        let bytes = [UInt8](data)
        return stride(from: 0, to: bytes.count, by: 4).map { offset -> Int32 in
            var value: UInt32 = 0
            for k in 0..<4 { value |= UInt32(bytes[offset + k]) << (8 * UInt32(k)) }
            return Int32(bitPattern: value)
        }
    }

    static func description(_ path: String) throws -> [String: JSONValue] {
        try JSONDecoder().decode([String: JSONValue].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Without --vocab-from, the vocabulary is the one `charrnn train` builds with the same
    /// flags (compared with the model train writes), the ids are the text's, and the metadata in
    /// the JSON plus cell and sizes is a model metadata that charrnn accepts.
    @Test func buildsTheVocabularyAsTrainDoes() throws {
        let corpus = try TemporaryFile(Self.text)
        let folder = (corpus.path as NSString).deletingLastPathComponent
        let (idsPath, jsonPath, model) = (folder + "/t.ids", folder + "/t.json", folder + "/m.safetensors")
        let run = try charrnn(["encode", "--corpus", corpus.path, "--ids", idsPath, "--json", jsonPath, "--max-vocab", "8"])
        #expect(run.status == 0, "\(run.stderr)")
        let train = try charrnn(["train", "--corpus", corpus.path, "--out", model, "--max-vocab", "8", "--hidden", "4",
                                 "--batch-size", "1", "--seq-length", "4", "--steps", "1", "--val-fraction", "0"])
        #expect(train.status == 0, "\(train.stderr)")
        let trained = try ModelFile(contentsOf: model).metadata

        let json = try Self.description(jsonPath)
        guard case .object(var metadata)? = json["metadata"] else { Issue.record("no metadata object"); return }
        #expect(metadata["vocab"] == .array(trained.vocab.map(JSONValue.string)))
        #expect(metadata["unknown_token"] == trained.unknownToken.map { .number(Double($0)) })
        #expect(trained.unknownToken != nil, "--max-vocab 8 leaves letters out")
        #expect(json["dtype"] == .string("uint32-le") && json["format"] == .string("charrnn-encoded-corpus"))

        let expected = try TextCorpus(path: corpus.path, model: trained).ids
        let ids = try Self.ids(idsPath)
        #expect(ids == expected)
        #expect(json["tokens"] == .number(Double(ids.count)))
        #expect(json["newline"] == trained.vocab.firstIndex(of: "\n").map { .number(Double($0)) })
        // "e\u{301}" and "é" are one token (NFC); "\r\n" and the family emoji are one grapheme each.
        #expect(ids.count == 3 * 20 + 2)  // é t é ␠ 👨‍👩‍👧 ␠ c a f é \r\n b é b é \n \n z z \n, three times; q \n

        // Completed with what only the trainer decides, the metadata is a model's.
        metadata["cell"] = "gru"
        metadata["hidden_size"] = 3
        metadata["num_layers"] = 2
        let encoded = try JSONEncoder().encode(JSONValue.object(metadata))
        let decoded = try ModelMetadata.decode(fromMetadataString: String(decoding: encoded, as: UTF8.self))
        #expect(decoded.vocab == trained.vocab && decoded.cell == .gru && decoded.numLayers == 2)
    }

    /// --vocab-from uses the model's vocabulary; a letter it lacks without an unknown token, and
    /// vocabulary flags given with it, are refused with one line and exit status 1.
    @Test func usesAModelsVocabulary() throws {
        let corpus = try TemporaryFile(Self.text)
        let folder = (corpus.path as NSString).deletingLastPathComponent
        let (idsPath, jsonPath, model) = (folder + "/t.ids", folder + "/t.json", folder + "/m.safetensors")
        let train = try charrnn(["train", "--corpus", corpus.path, "--out", model, "--hidden", "4", "--batch-size", "1",
                                 "--seq-length", "4", "--steps", "1", "--val-fraction", "0"])
        #expect(train.status == 0, "\(train.stderr)")
        let other = try TemporaryFile("bébé café\n")
        let run = try charrnn(["encode", "--corpus", other.path, "--ids", idsPath, "--json", jsonPath, "--vocab-from", model])
        #expect(run.status == 0, "\(run.stderr)")
        let vocab = try ModelFile(contentsOf: model).metadata.vocab
        #expect(try Self.ids(idsPath).map { vocab[Int($0)] }.joined() == "bébé café\n")

        let unknown = try TemporaryFile("bébé X\n")
        let refused = try charrnn(["encode", "--corpus", unknown.path, "--ids", idsPath, "--json", jsonPath, "--vocab-from", model])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("not in the model's vocabulary") && refused.stderr.contains("\"X\""))
        let both = try charrnn(["encode", "--corpus", other.path, "--ids", idsPath, "--json", jsonPath, "--vocab-from", model,
                                "--unit", "word"])
        #expect(both.status != 0 && both.stderr.contains("--vocab-from takes the unit"))
        let overwrite = try charrnn(["encode", "--corpus", other.path, "--ids", other.path, "--json", jsonPath])
        #expect(overwrite.status != 0 && overwrite.stderr.contains("would destroy the input"))
    }
}
