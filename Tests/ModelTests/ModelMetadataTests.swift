// Model metadata: the "charrnn" JSON of a model file, its defaults, round trips, and a message
// naming the key for each way it can be wrong.

import Foundation
import Model
import Testing
import Tokenizer

@Suite("ModelMetadata")
struct ModelMetadataTests {
    static let full = """
        {"format_version": 1, "task": "conditional-generator", "cell": "gru", "hidden_size": 128,
         "num_layers": 2, "unit": "word", "normalization": "NFC", "case": "lower",
         "vocab": ["\\n", " ", "，", "春", "\\ufffd"], "unknown_token": 4, "end_token": 0,
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
        #expect(metadata.vocab == ["\n", " ", "，", "春", "\u{FFFD}"])
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
        #expect(text.contains(#""vocab":["\n"," ","，","春","# + "\"\u{FFFD}\"]"))
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
                #"is "translator"; expected one of "language-model", "classifier", "conditional-generator", "forecaster""#)),
            invalid("cell missing", "cell", nil, .missingKey("cell")),
            invalid("cell unknown", "cell", #""rnn""#,
                    .invalidValue(key: "cell", reason: #"is "rnn"; expected one of "rnn_tanh", "lstm", "gru", "tutorial""#)),
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
            Invalid(testDescription: "categories duplicate",
                    text: classifier.replacingOccurrences(of: #""vocab""#, with: #""categories": ["x", "x"], "vocab""#),
                    error: .invalidValue(key: "categories", reason: #"lists "x" twice (at 0 and 1)"#), key: "categories"),
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

    // MARK: - Vocabulary entries are single tokens

    static func metadata(vocab: [String], unit: TokenUnit = .grapheme, caseMapping: CaseMapping = .preserve) throws -> ModelMetadata {
        try ModelMetadata(task: .languageModel, cell: .gru, hiddenSize: 4, numLayers: 1, unit: unit, caseMapping: caseMapping,
                          vocab: vocab)
    }

    @Test func singleTokenEntriesPass() throws {
        // Clusters of several code points, reserved tokens' usual strings, a Windows line end.
        _ = try Self.metadata(vocab: ["\u{FFFD}", "\n", "\r\n", " ", "e\u{301}", "👨‍👩‍👧", "🇺🇸", "دّ", "각", "春", "\t"])
        _ = try Self.metadata(vocab: ["\u{130}", "A", "ß"], caseMapping: .lower)  // İ lowercases to i + U+0307: one cluster
        _ = try Self.metadata(vocab: ["hello", " ", "   ", ",", "\u{FFFD}", "\n", "春天", "don't"], unit: .word)
    }

    @Test(arguments: [
        (["a", ""], TokenUnit.grapheme, CaseMapping.preserve, "entry 1 is the empty string; every entry must be exactly one grapheme (after NFC)"),
        (["ab"], .grapheme, .preserve, #"entry 0, "ab" (U+0061 U+0062), is 2 graphemes; every entry must be exactly one grapheme (after NFC)"#),
        (["x", "🇺🇸🇫🇷"], .grapheme, .preserve, "entry 1, \"🇺🇸🇫🇷\" (U+1F1FA U+1F1F8 U+1F1EB U+1F1F7), is 2 graphemes"),
        (["\n\n"], .grapheme, .lower, "is 2 graphemes; every entry must be exactly one grapheme (after lowercasing and NFC)"),
        (["<unk>"], .word, .preserve, #"entry 0, "<unk>" (U+003C U+0075 U+006E U+006B U+003E), is 3 words; every entry must be exactly one word (after NFC)"#),
        (["hello world"], .word, .preserve, "is 3 words"),
        ([""], .word, .preserve, "entry 0 is the empty string; every entry must be exactly one word"),
    ])
    func entriesThatAreNotOneTokenAreRefused(_ vocab: [String], _ unit: TokenUnit, _ caseMapping: CaseMapping, _ reason: String) {
        let error = #expect(throws: ModelMetadataError.self) { try Self.metadata(vocab: vocab, unit: unit, caseMapping: caseMapping) }
        guard case .invalidValue("vocab", let actual)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(actual.contains(reason), "\(actual)")
        #expect(error?.description.contains("\n") == false)
    }

    // MARK: - What each task carries

    @Test func tasksCarryOnlyTheirOwnTokensAndCategories() throws {
        let cases: [(ModelTask, Int?, [String], ModelMetadataError)] = [
            (.languageModel, 0, [], .invalidValue(key: "end_token", reason:
                "is 0, but a language-model has no end token (only a conditional-generator has one)")),
            (.languageModel, nil, ["X"], .invalidValue(key: "categories", reason: "has 1 entries, but a language-model has no categories")),
            (.classifier, 1, ["X", "Y"], .invalidValue(key: "end_token", reason:
                "is 1, but a classifier has no end token (only a conditional-generator has one)")),
            (.conditionalGenerator, nil, ["X"], .invalidValue(key: "end_token", reason:
                "is missing or null; a conditional-generator needs one (it starts every name and ends it)")),
        ]
        for (task, end, categories, expected) in cases {
            #expect(throws: expected) {
                try ModelMetadata(task: task, cell: .lstm, hiddenSize: 2, numLayers: 1, vocab: ["\n", "a"], endToken: end,
                                  categories: categories)
            }
        }
        _ = try ModelMetadata(task: .conditionalGenerator, cell: .lstm, hiddenSize: 2, numLayers: 1, vocab: ["\n", "a"],
                              endToken: 0, categories: ["X"])
        _ = try ModelMetadata(task: .classifier, cell: .lstm, hiddenSize: 2, numLayers: 1, vocab: ["\n", "a"], categories: ["X"])
        // In a file: a language model whose JSON carries an end token.
        #expect(throws: ModelMetadataError.invalidValue(key: "end_token", reason:
                    "is 1, but a language-model has no end token (only a conditional-generator has one)")) {
            try ModelMetadata.decode(fromMetadataString: Self.minimal("end_token", "1"))
        }
    }

    // MARK: - Limits

    @Test func sizesHaveUpperLimits() throws {
        func make(hidden: Int = 4, layers: Int = 1, vocab: [String] = ["a"], task: ModelTask = .languageModel,
                  categories: [String] = []) throws -> ModelMetadata {
            try ModelMetadata(task: task, cell: .lstm, hiddenSize: hidden, numLayers: layers, vocab: vocab, categories: categories)
        }
        #expect(try make(hidden: 65_536).hiddenSize == 65_536)
        #expect(throws: ModelMetadataError.invalidValue(key: "hidden_size", reason: "is 65537; it must be at most 65536")) {
            try make(hidden: 65_537)
        }
        #expect(throws: ModelMetadataError.invalidValue(key: "hidden_size", reason: "is 4611686018427387904; it must be at most 65536")) {
            try make(hidden: 1 << 62)
        }
        #expect(try make(layers: 64).numLayers == 64)
        #expect(throws: ModelMetadataError.invalidValue(key: "num_layers", reason: "is 65; it must be at most 64")) {
            try make(layers: 65)
        }
        // Refused on its count, before any entry is tokenized.
        let start = ContinuousClock.now
        #expect(throws: ModelMetadataError.invalidValue(key: "vocab", reason: "has 1000001 entries; at most 1000000 are allowed")) {
            try make(vocab: (0..<1_000_001).map { String($0) })
        }
        #expect(ContinuousClock.now - start < .seconds(10))
        let many = (0..<100_000).map { "c\($0)" }
        #expect(try make(task: .classifier, categories: many).categories.count == 100_000)
        #expect(throws: ModelMetadataError.invalidValue(key: "categories", reason: "has 100001 entries; at most 100000 are allowed")) {
            try make(task: .classifier, categories: many + ["one more"])
        }
    }

    @Test func parameterCountIsExactAndNeverOverflows() throws {
        // Against PyTorch's counts: sum(p.numel() for p in module.parameters()) of nn.LSTM(5, 3, 2) +
        // nn.Linear(3, 5) is 4·3·(5+3+2) + 4·3·(3+3+2) + 3·5 + 5 = 236.
        let lstm = try ModelMetadata(task: .languageModel, cell: .lstm, hiddenSize: 3, numLayers: 2,
                                     vocab: ["a", "b", "c", "d", "e"])
        #expect(lstm.parameterCount == 236)
        // A generator reads categories and letters (2 + 3), writes letters (3); a classifier reads letters, writes categories.
        let generator = try ModelMetadata(task: .conditionalGenerator, cell: .gru, hiddenSize: 4, numLayers: 1,
                                          vocab: ["\n", "a", "b"], endToken: 0, categories: ["X", "Y"])
        #expect(generator.parameterCount == 3 * 4 * (5 + 4 + 2) + 3 * 4 + 3)
        let classifier = try ModelMetadata(task: .classifier, cell: .rnnTanh, hiddenSize: 4, numLayers: 1,
                                           vocab: ["a", "b", "c"], categories: ["X", "Y"])
        #expect(classifier.parameterCount == 4 * (3 + 4 + 2) + 2 * 4 + 2)
        // The largest network the limits allow is counted; values beyond them give nil, not a trap.
        var largest = lstm
        (largest.hiddenSize, largest.numLayers) = (65_536, 64)
        #expect(largest.parameterCount == 4 * 65_536 * (5 + 65_536 + 2) + 63 * 4 * 65_536 * (2 * 65_536 + 2) + 5 * 65_537)
        largest.hiddenSize = 1 << 62
        #expect(largest.parameterCount == nil)
        largest.hiddenSize = .max
        #expect(largest.parameterCount == nil)
        (largest.hiddenSize, largest.numLayers) = (3, .max)
        #expect(largest.parameterCount == nil)
        largest.numLayers = 0
        #expect(largest.parameterCount == nil)
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
