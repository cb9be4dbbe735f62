// Model metadata: the "charrnn" JSON of a model file, its defaults, round trips, and a message
// naming the key for each way it can be wrong.

import Foundation
import Model
import Testing

@Suite("ModelMetadata")
struct ModelMetadataTests {
    static let full = """
        {"format_version": 1, "task": "conditional-generator", "cell": "gru", "hidden_size": 128,
         "num_layers": 2, "unit": "word", "normalization": "NFC", "case": "lower",
         "vocab": ["\\n", " ", "，", "春", "<unk>"], "unknown_token": 4, "end_token": 0,
         "categories": ["Arabic", "Chinese"],
         "training": {"corpus": "names.txt", "steps": 12000, "val_bits_per_token": 1.25,
                      "lr": {"peak": 0.002, "schedule": ["cosine", null, true]}}}
        """

    static let minimal = #"{"format_version": 1, "task": "language-model", "cell": "rnn_tanh", "hidden_size": 8, "num_layers": 1, "vocab": ["a", "b"]}"#

    /// The minimal example with `key` set to `json` (or removed when `json` is nil).
    static func minimal(_ key: String, _ json: String?) throws -> String {
        var object = try JSONSerialization.jsonObject(with: Data(minimal.utf8)) as! [String: Any]
        object[key] = json.map { try! JSONSerialization.jsonObject(with: Data($0.utf8), options: .fragmentsAllowed) }
        return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    // MARK: - Reading

    @Test func decodesAFullExample() throws {
        let metadata = try ModelMetadata.decode(fromMetadataString: Self.full)
        #expect(metadata.formatVersion == 1)
        #expect(metadata.task == .conditionalGenerator && metadata.cell == .gru)
        #expect(metadata.cell.gateCount == 3)
        #expect(metadata.hiddenSize == 128 && metadata.numLayers == 2)
        #expect(metadata.unit == .word && metadata.normalization == "NFC" && metadata.caseMapping == .lower)
        #expect(metadata.vocab == ["\n", " ", "，", "春", "<unk>"])
        #expect(metadata.unknownToken == 4 && metadata.endToken == 0)
        #expect(metadata.categories == ["Arabic", "Chinese"])
        #expect(metadata.training["steps"] == .number(12000))
        #expect(metadata.training["lr"] == ["peak": 0.002, "schedule": ["cosine", nil, true]])
    }

    @Test func minimalExampleTakesTheDefaults() throws {
        let metadata = try ModelMetadata.decode(fromMetadataString: Self.minimal)
        let expected = try ModelMetadata(task: .languageModel, cell: .rnnTanh, hiddenSize: 8, numLayers: 1, vocab: ["a", "b"])
        #expect(metadata == expected)
        #expect(metadata.unit == .grapheme && metadata.normalization == "NFC" && metadata.caseMapping == .preserve)
        #expect(metadata.unknownToken == nil && metadata.endToken == nil)
        #expect(metadata.categories.isEmpty && metadata.training.isEmpty)
    }

    @Test func nullMeansTheDefault() throws {
        let text = try Self.minimal("unit", "null")
        #expect(try ModelMetadata.decode(fromMetadataString: text).unit == .grapheme)
        #expect(try ModelMetadata.decode(fromMetadataString: Self.minimal("end_token", "null")).endToken == nil)
    }

    @Test func unknownKeysAreIgnored() throws {
        let text = try Self.minimal("future_feature", #"{"anything": [1, 2]}"#)
        #expect(try ModelMetadata.decode(fromMetadataString: text) == ModelMetadata.decode(fromMetadataString: Self.minimal))
    }

    // MARK: - Writing

    @Test func roundTripKeepsEverythingIncludingTraining() throws {
        let metadata = try ModelMetadata.decode(fromMetadataString: Self.full)
        let text = try metadata.encodedString()
        #expect(try ModelMetadata.decode(fromMetadataString: text) == metadata)
        #expect(!text.contains("\n") || text.contains("\\n"))
        #expect(text.contains(#""steps":12000"#))
        #expect(text.contains(#""vocab":["\n"," ","，","春","<unk>"]"#))
    }

    @Test func encodingIsCompactWithSortedKeysAndExplicitNulls() throws {
        let metadata = try ModelMetadata(task: .languageModel, cell: .lstm, hiddenSize: 4, numLayers: 1, vocab: ["x"],
                                         training: ["b": 1, "a": "a/b"])
        #expect(try metadata.encodedString() == """
            {"case":"preserve","categories":[],"cell":"lstm","end_token":null,"format_version":1,"hidden_size":4,\
            "normalization":"NFC","num_layers":1,"task":"language-model","training":{"a":"a/b","b":1},\
            "unit":"grapheme","unknown_token":null,"vocab":["x"]}
            """)
    }

    @Test func invalidTrainingNumbersAreRejectedOnWriting() throws {
        let metadata = try ModelMetadata(task: .languageModel, cell: .gru, hiddenSize: 4, numLayers: 1, vocab: ["x"],
                                         training: ["loss": .number(.nan)])
        let error = #expect(throws: ModelMetadataError.self) { try metadata.encodedString() }
        guard case .invalidValue(let key, _)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(key == "training")
    }

    @Test func buildingInvalidMetadataThrows() {
        #expect(throws: ModelMetadataError.invalidValue(key: "unknown_token", reason: "is 2, outside the vocabulary of 2 tokens")) {
            try ModelMetadata(task: .languageModel, cell: .gru, hiddenSize: 4, numLayers: 1, vocab: ["a", "b"], unknownToken: 2)
        }
    }

    // MARK: - Invalid metadata

    struct Invalid: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let text: String
        let error: ModelMetadataError
        let key: String
    }

    static let invalid: [Invalid] = {
        func invalid(_ name: String, _ key: String, _ json: String?, _ error: ModelMetadataError, names: String? = nil) -> Invalid {
            Invalid(testDescription: name, text: try! minimal(key, json), error: error, key: names ?? key)
        }
        let classifier = try! minimal("task", #""classifier""#)
        return [
            invalid("format_version missing", "format_version", nil, .missingKey("format_version")),
            invalid("format_version 2", "format_version", "2", .newerFormat(2)),
            invalid("format_version 0", "format_version", "0",
                    .invalidValue(key: "format_version", reason: "is 0; it must be 1")),
            invalid("format_version a string", "format_version", #""1""#,
                    .wrongType(key: "format_version", expected: "an integer")),
            invalid("task missing", "task", nil, .missingKey("task")),
            invalid("task unknown", "task", #""translator""#, .invalidValue(key: "task", reason:
                #"is "translator"; expected one of "language-model", "classifier", "conditional-generator""#)),
            invalid("cell missing", "cell", nil, .missingKey("cell")),
            invalid("cell unknown", "cell", #""rnn""#,
                    .invalidValue(key: "cell", reason: #"is "rnn"; expected one of "rnn_tanh", "lstm", "gru""#)),
            invalid("cell a number", "cell", "1", .wrongType(key: "cell", expected: "a string")),
            invalid("hidden_size missing", "hidden_size", nil, .missingKey("hidden_size")),
            invalid("hidden_size 0", "hidden_size", "0",
                    .invalidValue(key: "hidden_size", reason: "is 0; it must be at least 1")),
            invalid("hidden_size fractional", "hidden_size", "2.5", .wrongType(key: "hidden_size", expected: "an integer")),
            invalid("num_layers missing", "num_layers", nil, .missingKey("num_layers")),
            invalid("num_layers negative", "num_layers", "-1",
                    .invalidValue(key: "num_layers", reason: "is -1; it must be at least 1")),
            invalid("unit unknown", "unit", #""sentence""#,
                    .invalidValue(key: "unit", reason: #"is "sentence"; expected one of "grapheme", "word""#)),
            invalid("case unknown", "case", #""upper""#,
                    .invalidValue(key: "case", reason: #"is "upper"; expected one of "preserve", "lower""#)),
            invalid("normalization NFD", "normalization", #""NFD""#, .invalidValue(key: "normalization",
                    reason: #"is "NFD"; this charrnn supports only "NFC": upgrade charrnn"#)),
            invalid("vocab missing", "vocab", nil, .missingKey("vocab")),
            invalid("vocab empty", "vocab", "[]",
                    .invalidValue(key: "vocab", reason: "is empty; a model needs at least one token")),
            invalid("vocab not strings", "vocab", #"["a", 1]"#, .wrongType(key: "vocab", expected: "an array of strings")),
            invalid("vocab duplicate", "vocab", #"["a", "b", "a"]"#,
                    .invalidValue(key: "vocab", reason: #"lists "a" twice (at 0 and 2)"#)),
            invalid("unknown_token out of range", "unknown_token", "2",
                    .invalidValue(key: "unknown_token", reason: "is 2, outside the vocabulary of 2 tokens")),
            invalid("end_token negative", "end_token", "-1",
                    .invalidValue(key: "end_token", reason: "is -1, outside the vocabulary of 2 tokens")),
            invalid("end_token a string", "end_token", #""0""#,
                    .wrongType(key: "end_token", expected: "an integer id or null")),
            invalid("categories not strings", "categories", "[1]",
                    .wrongType(key: "categories", expected: "an array of strings")),
            invalid("categories duplicate", "categories", #"["x", "x"]"#,
                    .invalidValue(key: "categories", reason: #"lists "x" twice (at 0 and 1)"#)),
            invalid("training not an object", "training", "[1]", .wrongType(key: "training", expected: "an object")),
            Invalid(testDescription: "hidden_size twice", text: Self.minimal.replacingOccurrences(
                        of: #""hidden_size": 8"#, with: #""hidden_size": 512, "hidden_size": 64"#),
                    error: .duplicateKey("hidden_size", path: []), key: "hidden_size"),
            Invalid(testDescription: "vocab twice, once escaped", text: Self.minimal.replacingOccurrences(
                        of: #""vocab": ["a", "b"]"#, with: #""vocab": ["a", "b"], "vocab": ["c"]"#),
                    error: .duplicateKey("vocab", path: []), key: "vocab"),
            Invalid(testDescription: "a key twice inside training", text: Self.minimal.replacingOccurrences(
                        of: #""num_layers": 1"#, with: #""num_layers": 1, "training": {"lr": [{"x": 1, "x": 2}]}"#),
                    error: .duplicateKey("x", path: ["training", "lr", "[0]"]), key: "x"),
            Invalid(testDescription: "classifier without categories", text: classifier,
                    error: .invalidValue(key: "categories", reason: "is missing or empty; a classifier model needs them"),
                    key: "categories"),
        ]
    }()

    @Test(arguments: invalid)
    func invalidMetadataNamesTheKey(_ invalid: Invalid) {
        let error = #expect(throws: invalid.error) { try ModelMetadata.decode(fromMetadataString: invalid.text) }
        #expect(error?.description.contains("\"\(invalid.key)\"") == true)
        #expect(error?.description.contains("\n") == false)
    }

    @Test func newerFormatSaysToUpgrade() throws {
        // A newer version is reported before any other key, which it may have changed.
        let error = #expect(throws: ModelMetadataError.newerFormat(2)) {
            try ModelMetadata.decode(fromMetadataString: #"{"format_version": 2, "task": "summarizer"}"#)
        }
        #expect(error?.description.contains("upgrade charrnn") == true)
    }

    @Test func duplicateKeyMessageSaysWhere() {
        let top = ModelMetadataError.duplicateKey("hidden_size", path: []).description
        #expect(top.hasPrefix("the model's charrnn metadata has \"hidden_size\" twice: JSON readers would disagree"))
        let nested = ModelMetadataError.duplicateKey("x", path: ["training", "lr", "[0]"]).description
        #expect(nested.hasPrefix("the model's charrnn metadata has \"x\" twice inside \"training\" → \"lr\" → [0]: "))
    }

    @Test func repeatedKeysInDifferentObjectsAreFine() throws {
        let text = Self.minimal.replacingOccurrences(of: #""num_layers": 1"#,
                                                     with: #""num_layers": 1, "training": {"vocab": 1, "x": {"vocab": 2}}"#)
        #expect(try ModelMetadata.decode(fromMetadataString: text).training["vocab"] == 1)
    }

    @Test func notJSONOrNotAnObject() {
        for text in ["", "not json", "[1, 2]", "\"text\"", #"{"a": 1, "a": 2"#] {
            let error = #expect(throws: ModelMetadataError.self) { try ModelMetadata.decode(fromMetadataString: text) }
            guard case .notJSON? = error else { Issue.record("\(text): got \(String(describing: error))"); continue }
        }
    }
}
