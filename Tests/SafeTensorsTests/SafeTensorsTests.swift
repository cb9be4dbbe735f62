// The safetensors format: round trips, the exact bytes of hand-built files, and hostile files,
// each of which must give its own typed error rather than a crash or a huge allocation.

import Foundation
import SafeTensors
import TestSupport
import Testing

// MARK: - Building files by hand

/// A file made of a header length, a header and data, as the format describes it.
/// `length` overrides the declared header length (to lie about it).
func fileBytes(_ header: String, data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
    let headerBytes = Array(header.utf8)
    return withUnsafeBytes(of: (length ?? UInt64(headerBytes.count)).littleEndian, Array.init) + headerBytes + data
}

/// Little-endian bytes of `values`, spelled out without the code under test.
func littleEndianBytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * $0)) } }
}

/// One F32 tensor entry of a header.
func entry(_ shape: [Int], _ begin: Int, _ end: Int, dtype: String = "F32") -> String {
    "{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(begin),\(end)]}"
}

@Suite("SafeTensors")
struct SafeTensorsTests {
    // MARK: - Round trips

    @Test func roundTripKeepsNamesShapesBitsAndMetadata() throws {
        let special: [Float] = [0, -0.0, 1, -1.5, .infinity, -.infinity, .leastNonzeroMagnitude,
                                .greatestFiniteMagnitude, Float(bitPattern: 0x7FC0_1234), .pi]
        var file = SafeTensorsFile(metadata: ["charrnn": "{\"vocab\": [\"é\", \"\\n\"]}", "framework": "pt"])
        file.add("rnn.weight_ih_l0", shape: [2, 5], floats: special)
        file.add("decoder.bias", shape: [3], floats: [0.25, 0.5, 0.75])
        file.add("héllo \"quoted\"\n", shape: [1, 1, 2], floats: [7, 8])

        let folder = try TemporaryFile([], name: "placeholder")
        let path = (folder.path as NSString).deletingLastPathComponent + "/model.safetensors"
        try file.write(to: path)
        let read = try SafeTensorsFile(contentsOf: path)

        #expect(read.names == ["decoder.bias", "héllo \"quoted\"\n", "rnn.weight_ih_l0"])
        #expect(read.metadata == file.metadata)
        #expect(read.tensors == file.tensors)
        #expect(read.source == path)
        let weights = try read.floats("rnn.weight_ih_l0", shape: [2, 5])
        #expect(weights.map(\.bitPattern) == special.map(\.bitPattern))
        #expect(try read.floats("decoder.bias") == [0.25, 0.5, 0.75])
        #expect(read.tensors["héllo \"quoted\"\n"]?.elementCount == 2)
    }

    @Test func headerIsPaddedWithSpacesToEightBytes() throws {
        for name in ["a", "ab", "abc", "abcd", "abcde", "abcdef", "abcdefg", "abcdefgh"] {
            var file = SafeTensorsFile()
            file.add(name, shape: [1], floats: [1])
            let bytes = file.serialized()
            let length = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
            #expect(length % 8 == 0)
            #expect(bytes.count == 8 + length + 4)
            let header = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
            let json = header.trimmingCharacters(in: .init(charactersIn: " "))
            #expect(json.hasSuffix("}") && header.count - json.count < 8)
            #expect(Array(bytes.suffix(4)) == littleEndianBytes([1]))
        }
    }

    @Test func extraPaddingIsAccepted() throws {
        let header = "{\"a\":\(entry([1], 0, 4))}" + String(repeating: " ", count: 21)
        let file = try SafeTensorsFile(bytes: fileBytes(header, data: littleEndianBytes([3])))
        #expect(try file.floats("a") == [3])
    }

    @Test func scalarAndEmptyTensors() throws {
        var file = SafeTensorsFile()
        file.add("scalar", shape: [], floats: [42])
        file.add("empty", shape: [0], floats: [])
        file.add("empty2", shape: [3, 0, 2], floats: [])
        file.add("z", shape: [2], floats: [1, 2])
        let read = try SafeTensorsFile(bytes: file.serialized())
        #expect(read.tensors == file.tensors)
        #expect(try read.floats("scalar", shape: []) == [42])
        #expect(try read.floats("empty", shape: [0]) == [])
        #expect(try read.floats("empty2", shape: [3, 0, 2]) == [])
        #expect(read.tensors["scalar"]?.elementCount == 1)

        // Empty tensors may sit at any offset where the tiling is at that moment, even 0 or the end.
        let header = "{\"a\":\(entry([0], 0, 0)),\"b\":\(entry([1], 0, 4)),\"c\":\(entry([0, 5], 4, 4))}"
        let handBuilt = try SafeTensorsFile(bytes: fileBytes(header, data: littleEndianBytes([9])))
        #expect(try handBuilt.floats("b") == [9])
        #expect(handBuilt.tensors["c"]?.shape == [0, 5])
    }

    @Test func emptyFileHasNoTensors() throws {
        let file = try SafeTensorsFile(bytes: fileBytes("{}"))
        #expect(file.tensors.isEmpty && file.metadata.isEmpty)
    }

    // MARK: - Exact bytes (the reference writer's layout)

    @Test func handBuiltFileReadsAndWritesTheSameBytes() throws {
        // 64-byte header, so no padding; data: 0, 1, 2, 3, 4, 5 as little-endian float32.
        let header = #"{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}"#
        let data: [UInt8] = [0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64]
        let bytes = fileBytes(header, data: data)
        #expect(bytes.prefix(8) == [64, 0, 0, 0, 0, 0, 0, 0])

        let file = try SafeTensorsFile(bytes: bytes)
        #expect(try file.floats("attn.0", shape: [1, 2, 3]) == [0, 1, 2, 3, 4, 5])
        #expect(file.serialized() == bytes)

        var built = SafeTensorsFile()
        built.add("attn.0", shape: [1, 2, 3], floats: [0, 1, 2, 3, 4, 5])
        #expect(built.serialized() == bytes)
    }

    @Test func emptyAndMetadataOnlyFilesHaveKnownBytes() {
        #expect(SafeTensorsFile().serialized() == fileBytes("{}      "))
        let withMetadata = SafeTensorsFile(metadata: ["framework": "pt"])
        #expect(withMetadata.serialized() == fileBytes(#"{"__metadata__":{"framework":"pt"}}"# + "     "))
    }

    @Test func tensorsAreWrittenInNameOrder() {
        var file = SafeTensorsFile(metadata: ["b": "2", "a": "1"])
        file.add("b", shape: [1], floats: [2])
        file.add("a", shape: [1], floats: [1])
        file.add("B", shape: [1], floats: [3])
        let expected = #"{"__metadata__":{"a":"1","b":"2"},"B":"# + entry([1], 0, 4) + #","a":"# + entry([1], 4, 8)
            + #","b":"# + entry([1], 8, 12) + "}"
        let padded = expected + String(repeating: " ", count: (8 - expected.utf8.count % 8) % 8)
        #expect(file.serialized() == fileBytes(padded, data: littleEndianBytes([3, 1, 2])))
    }

    @Test func controlCharactersInNamesAreEscaped() throws {
        var file = SafeTensorsFile(metadata: ["k": "tab\there\u{1}"])
        file.add("a\\b", shape: [1], floats: [1])
        let header = String(decoding: file.serialized().dropFirst(8), as: UTF8.self)
        #expect(header.contains(#""k":"tab\there\u0001""#))
        #expect(header.contains(#""a\\b":"#))
        #expect(try SafeTensorsFile(bytes: file.serialized()).metadata == file.metadata)
    }

    // MARK: - Hostile files

    struct Hostile: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let bytes: [UInt8]
        let check: @Sendable (SafeTensorsError) -> Bool

        init(_ name: String, _ bytes: [UInt8], _ expected: SafeTensorsError) {
            self.testDescription = name
            self.bytes = bytes
            self.check = { $0 == expected }
        }

        init(_ name: String, _ bytes: [UInt8], where check: @escaping @Sendable (SafeTensorsError) -> Bool) {
            self.testDescription = name
            self.bytes = bytes
            self.check = check
        }
    }

    static func one(_ field: String) -> [UInt8] { fileBytes("{\"a\":\(field)}", data: [0, 0, 0, 0]) }
    static let shapeError = "\"shape\" must be an array of non-negative integers"
    static let offsetsError = "\"data_offsets\" must be two non-negative integers [begin, end]"

    static let hostile: [Hostile] = {
        let good = { () -> [UInt8] in
            var file = SafeTensorsFile()
            file.add("w", shape: [4], floats: [1, 2, 3, 4])
            return file.serialized()
        }()
        let a4 = "{\"a\":\(entry([1], 0, 4))"
        let far = "{\"a\":\(entry([1 << 57], 0, 1 << 59))}"
        return [
            Hostile("empty file", [], .truncated(file: nil, expected: 8, actual: 0)),
            Hostile("shorter than 8 bytes", [1, 0, 0], .truncated(file: nil, expected: 8, actual: 3)),
            Hostile("header longer than the file", fileBytes("{}", length: 100),
                    .truncated(file: nil, expected: 108, actual: 10)),
            Hostile("header length 2^63", fileBytes("{}", length: 1 << 63),
                    .headerTooLarge(file: nil, length: 1 << 63)),
            Hostile("header length 2^64 - 1", fileBytes("{}", length: .max), .headerTooLarge(file: nil, length: .max)),
            Hostile("header just over the limit", fileBytes("{}", length: 100_000_001),
                    .headerTooLarge(file: nil, length: 100_000_001)),
            Hostile("header not UTF-8", fileBytes("{}", length: 3) + [0xFF] ,
                    where: { $0 == .headerNotJSON(file: nil, reason: "it is not valid UTF-8") }),
            Hostile("header not JSON", fileBytes("hello"), where: { if case .headerNotJSON = $0 { true } else { false } }),
            Hostile("header JSON cut short", fileBytes("{\"a\":"), where: { if case .headerNotJSON = $0 { true } else { false } }),
            Hostile("header nested 10000 deep", fileBytes(String(repeating: "[", count: 10_000)),
                    where: { if case .headerNotJSON = $0 { true } else { false } }),
            Hostile("header JSON an array", fileBytes("[1, 2]"),
                    .headerNotJSON(file: nil, reason: "it is an array, not an object")),
            Hostile("header JSON a string", fileBytes("\"{}\""),
                    .headerNotJSON(file: nil, reason: "it is a string, not an object")),
            Hostile("entry not an object", one("3"), .badEntry(file: nil, name: "a", reason: "it is a number, not an object")),
            Hostile("entry without dtype", one(#"{"shape":[1],"data_offsets":[0,4]}"#),
                    .badEntry(file: nil, name: "a", reason: "it has no \"dtype\"")),
            Hostile("entry without shape", one(#"{"dtype":"F32","data_offsets":[0,4]}"#),
                    .badEntry(file: nil, name: "a", reason: "it has no \"shape\"")),
            Hostile("entry without data_offsets", one(#"{"dtype":"F32","shape":[1]}"#),
                    .badEntry(file: nil, name: "a", reason: "it has no \"data_offsets\"")),
            Hostile("dtype not a string", one(#"{"dtype":32,"shape":[1],"data_offsets":[0,4]}"#),
                    .badEntry(file: nil, name: "a", reason: "\"dtype\" is a number, not a string")),
            Hostile("unknown dtype", one(entry([1], 0, 4, dtype: "F33")),
                    .badEntry(file: nil, name: "a", reason: "\"dtype\" \"F33\" is not a safetensors dtype")),
            Hostile("negative dimension", one(entry([-1], 0, 4)), .badEntry(file: nil, name: "a", reason: shapeError)),
            Hostile("fractional dimension", one(#"{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}"#),
                    .badEntry(file: nil, name: "a", reason: shapeError)),
            Hostile("boolean dimension", one(#"{"dtype":"F32","shape":[true],"data_offsets":[0,4]}"#),
                    .badEntry(file: nil, name: "a", reason: shapeError)),
            Hostile("dimension beyond Int", one(#"{"dtype":"F32","shape":[1e30],"data_offsets":[0,4]}"#),
                    .badEntry(file: nil, name: "a", reason: shapeError)),
            Hostile("shape not an array", one(#"{"dtype":"F32","shape":4,"data_offsets":[0,4]}"#),
                    .badEntry(file: nil, name: "a", reason: shapeError)),
            Hostile("element count overflows", one(entry([1 << 32, 1 << 32], 0, 4)),
                    .badEntry(file: nil, name: "a", reason: "shape [4294967296, 4294967296] has more elements than an Int can count")),
            Hostile("byte size overflows", one(entry([1 << 62], 0, 4)),
                    .badEntry(file: nil, name: "a", reason: "shape [4611686018427387904] of F32 takes more bytes than an Int can count")),
            Hostile("packed type not whole bytes", one(entry([3], 0, 4, dtype: "F4")),
                    .badEntry(file: nil, name: "a", reason: "3 elements of F4 are not a whole number of bytes")),
            Hostile("negative offset", one(entry([1], -4, 0)), .badEntry(file: nil, name: "a", reason: offsetsError)),
            Hostile("three offsets", one(#"{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}"#),
                    .badEntry(file: nil, name: "a", reason: offsetsError)),
            Hostile("fractional offset", one(#"{"dtype":"F32","shape":[1],"data_offsets":[0,4.5]}"#),
                    .badEntry(file: nil, name: "a", reason: offsetsError)),
            Hostile("begin after end", one(entry([1], 8, 4)),
                    .badEntry(file: nil, name: "a", reason: "\"data_offsets\" [8, 4] begin after they end")),
            Hostile("byte size not shape × dtype", one(entry([2], 0, 4)),
                    .sizeMismatch(file: nil, name: "a", expected: 8, actual: 4)),
            Hostile("data_offsets beyond the data", fileBytes(a4 + "}", data: []),
                    .truncated(file: nil, expected: 8 + (a4 + "}").utf8.count + 4, actual: 8 + (a4 + "}").utf8.count)),
            Hostile("data_offsets far beyond the data", fileBytes(far, data: [1, 2]),
                    .truncated(file: nil, expected: 8 + far.utf8.count + (1 << 59), actual: 8 + far.utf8.count + 2)),
            Hostile("overlapping tensors", fileBytes(a4 + ",\"b\":\(entry([1], 2, 6))}", data: [UInt8](repeating: 0, count: 6)),
                    .overlappingOffsets(file: nil, "a", "b")),
            Hostile("two tensors on the same bytes", fileBytes(a4 + ",\"b\":\(entry([1], 0, 4))}", data: [0, 0, 0, 0]),
                    .overlappingOffsets(file: nil, "a", "b")),
            Hostile("empty tensor inside another", fileBytes("{\"a\":\(entry([2], 0, 8)),\"b\":\(entry([0], 4, 4))}",
                                                           data: [UInt8](repeating: 0, count: 8)),
                    .overlappingOffsets(file: nil, "a", "b")),
            Hostile("gap between tensors", fileBytes(a4 + ",\"b\":\(entry([1], 8, 12))}", data: [UInt8](repeating: 0, count: 12)),
                    .gapInData(file: nil, before: "b", offset: 4, length: 4)),
            Hostile("gap at the start", fileBytes("{\"a\":\(entry([1], 4, 8))}", data: [UInt8](repeating: 0, count: 8)),
                    .gapInData(file: nil, before: "a", offset: 0, length: 4)),
            Hostile("trailing bytes", fileBytes(a4 + "}", data: [0, 0, 0, 0, 9, 9]), .trailingData(file: nil, count: 2)),
            Hostile("metadata value not a string", fileBytes(#"{"__metadata__":{"k":"v","n":1}}"#),
                    .badMetadata(file: nil, reason: "the value of \"n\" is a number, not a string")),
            Hostile("metadata not an object", fileBytes(#"{"__metadata__":"v"}"#),
                    .badMetadata(file: nil, reason: "it is a string, not an object")),
            Hostile("a tensor named twice, both entries alike", fileBytes(a4 + ",\"a\":\(entry([1], 0, 4))}", data: [0, 0, 0, 0]),
                    .duplicateKey(file: nil, key: "a", path: [])),
            Hostile("a tensor named twice, once escaped", fileBytes(a4 + ",\"\\u0061\":\(entry([1], 4, 8))}", data: [UInt8](repeating: 0, count: 8)),
                    .duplicateKey(file: nil, key: "a", path: [])),
            Hostile("two canonically equivalent tensor names", fileBytes("{\"\u{E9}\":\(entry([1], 0, 4)),\"e\\u0301\":\(entry([1], 4, 8))}",
                                                                       data: [UInt8](repeating: 0, count: 8)),
                    .duplicateKey(file: nil, key: "e\u{301}", path: [])),
            Hostile("a metadata key twice", fileBytes(#"{"__metadata__":{"charrnn":"{}","k":"1","charrnn":"{}"}}"#),
                    .duplicateKey(file: nil, key: "charrnn", path: ["__metadata__"])),
            Hostile("__metadata__ twice", fileBytes(#"{"__metadata__":{"a":"1"},"__metadata__":{"b":"2"}}"#),
                    .duplicateKey(file: nil, key: "__metadata__", path: [])),
            Hostile("a field of an entry twice", one(#"{"dtype":"F32","shape":[1],"dtype":"F32","data_offsets":[0,4]}"#),
                    .duplicateKey(file: nil, key: "dtype", path: ["a"])),
            Hostile("truncated data", Array(good.dropLast(3)),
                    .truncated(file: nil, expected: good.count, actual: good.count - 3)),
            Hostile("truncated header", Array(good.prefix(20)),
                    .truncated(file: nil, expected: good.count - 16, actual: 20)),
        ]
    }()

    @Test(arguments: hostile)
    func hostileFileGivesItsError(_ hostile: Hostile) {
        do {
            let file = try SafeTensorsFile(bytes: hostile.bytes)
            Issue.record("read without error: \(file.names)")
        } catch {
            #expect(hostile.check(error), "got \(error)")
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func duplicateKeyMessagesSayWhere() {
        let cases: [(SafeTensorsError, String)] = [
            (.duplicateKey(file: "m.safetensors", key: "w", path: []), "m.safetensors: the header names tensor \"w\" twice"),
            (.duplicateKey(file: nil, key: "__metadata__", path: []), "the header has \"__metadata__\" twice"),
            (.duplicateKey(file: nil, key: "charrnn", path: ["__metadata__"]),
             "the header has the \"__metadata__\" key \"charrnn\" twice"),
            (.duplicateKey(file: nil, key: "dtype", path: ["w"]), "the header has the key \"dtype\" twice in the entry of tensor \"w\""),
            (.duplicateKey(file: nil, key: "k", path: ["w", "x", "[2]"]),
             "the header has the key \"k\" twice in the entry of tensor \"w\" (inside \"x\" → [2])"),
        ]
        for (error, start) in cases {
            #expect(error.description.contains(start), "\(error)")
            #expect(error.description.contains("readers would disagree"))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func valuesThatLookLikeKeysAreNotDuplicates() throws {
        // A metadata value holding JSON with a repeated key is only a string here; keys that
        // differ only in what their escapes spell are different keys.
        let header = #"{"__metadata__":{"x":"{\"k\":1,\"k\":[\"}\"]}","y":"\\\"","a\\u0062":"1","ab":"2","\\":"3","\"":"4"},"# + #""w":"# + entry([1], 0, 4) + "}"
        let file = try SafeTensorsFile(bytes: fileBytes(header, data: littleEndianBytes([1])))
        #expect(file.metadata == ["x": #"{"k":1,"k":["}"]}"#, "y": #"\""#, #"a\u0062"#: "1", "ab": "2", "\\": "3", "\"": "4"])
    }

    @Test func everyValidPrefixOfAFileIsRejected() {
        var file = SafeTensorsFile(metadata: ["m": "x"])
        file.add("a", shape: [2, 2], floats: [1, 2, 3, 4])
        file.add("b", shape: [], floats: [5])
        let bytes = file.serialized()
        for count in 0..<bytes.count {
            #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(bytes: Array(bytes.prefix(count))) }
        }
    }

    // MARK: - Taking tensors out

    @Test func readingF16AsFloatsIsADtypeMismatch() throws {
        let header = "{\"w\":\(entry([2], 0, 4, dtype: "F16")),\"x\":\(entry([1], 4, 8))}"
        let file = try SafeTensorsFile(bytes: fileBytes(header, data: [0x00, 0x3C, 0x00, 0xC0] + littleEndianBytes([1])))
        #expect(file.tensors["w"]?.dtype == .f16 && file.tensors["w"]?.shape == [2])
        #expect(file.tensors["w"]?.bytes == [0x00, 0x3C, 0x00, 0xC0])
        let error = #expect(throws: SafeTensorsError.dtypeMismatch(file: nil, name: "w", dtype: .f16)) {
            try file.floats("w")
        }
        #expect(error?.description.contains("tensor \"w\" is F16") == true)
        #expect(error?.description.contains("model.float()") == true)
        #expect(try file.floats("x") == [1])
    }

    @Test func missingTensorAndWrongShape() throws {
        var built = SafeTensorsFile()
        built.add("decoder.bias", shape: [3], floats: [1, 2, 3])
        let file = try SafeTensorsFile(bytes: built.serialized())
        #expect(throws: SafeTensorsError.missingTensor(file: nil, name: "decoder.weight")) {
            try file.floats("decoder.weight")
        }
        #expect(throws: SafeTensorsError.shapeMismatch(file: nil, name: "decoder.bias", expected: [4], actual: [3])) {
            try file.floats("decoder.bias", shape: [4])
        }
    }

    @Test func otherDtypesAreReadAsBytes() throws {
        let header = "{\"i\":\(entry([2], 0, 16, dtype: "I64")),\"b\":\(entry([3], 16, 19, dtype: "BOOL"))}"
        let data: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 1, 0, 1]
        let file = try SafeTensorsFile(bytes: fileBytes(header, data: data))
        #expect(file.tensors["i"]?.bytes == Array(data[0..<16]))
        #expect(file.tensors["b"]?.dtype == .bool)
        #expect(try SafeTensorsFile(bytes: file.serialized()).tensors == file.tensors)
    }

    @Test func finiteFloatsNameTheFirstNaNOrInfinity() throws {
        var file = SafeTensorsFile()
        file.add("ok", shape: [2, 2], floats: [1, -2, .greatestFiniteMagnitude, -.leastNonzeroMagnitude])
        file.add("w", shape: [2, 3], floats: [0, 1, 2, 3, .infinity, .nan])
        file.add("b", shape: [70], floats: (0..<70).map { $0 == 66 ? -.infinity : Float($0) })
        file.add("q", shape: [1], floats: [Float(bitPattern: 0xFFC0_0001)])  // a negative NaN with a payload
        file.add("s", shape: [], floats: [.nan])
        let read = try SafeTensorsFile(bytes: file.serialized())
        #expect(try read.finiteFloats("ok", shape: [2, 2]) == [1, -2, .greatestFiniteMagnitude, -.leastNonzeroMagnitude])
        #expect(throws: SafeTensorsError.nonFinite(file: nil, name: "w", index: [1, 1], value: .infinity)) {
            try read.finiteFloats("w")
        }
        #expect(throws: SafeTensorsError.nonFinite(file: nil, name: "b", index: [66], value: .negativeInfinity)) {
            try read.finiteFloats("b", shape: [70])
        }
        #expect(throws: SafeTensorsError.nonFinite(file: nil, name: "q", index: [0], value: .nan)) { try read.finiteFloats("q") }
        #expect(throws: SafeTensorsError.nonFinite(file: nil, name: "s", index: [], value: .nan)) { try read.finiteFloats("s") }
        // The plain reader still returns whatever the file holds.
        #expect(try read.floats("w")[4] == .infinity)
        #expect(throws: SafeTensorsError.shapeMismatch(file: nil, name: "w", expected: [6], actual: [2, 3])) {
            try read.finiteFloats("w", shape: [6])
        }
        let message = SafeTensorsError.nonFinite(file: "m.safetensors", name: "w", index: [1, 1], value: .nan).description
        #expect(message.hasPrefix("m.safetensors: tensor \"w\" holds nan at [1, 1]: every value must be a finite number"))
    }

    @Test func finiteCheckIsOnePassAndFast() throws {
        // Two million floats (a large charrnn model has about 6.5 million), a NaN in the very last one.
        let count = 2_000_000
        var values = (0..<count).map { Float($0 % 1000) * 0.5 - 100 }
        var file = SafeTensorsFile()
        file.add("good", shape: [count / 1000, 1000], floats: values)
        values[count - 1] = .nan
        file.add("bad", shape: [count / 1000, 1000], floats: values)
        let read = try SafeTensorsFile(bytes: file.serialized())
        let start = ContinuousClock.now
        #expect(try read.finiteFloats("good").count == count)
        #expect(throws: SafeTensorsError.nonFinite(file: nil, name: "bad", index: [count / 1000 - 1, 999], value: .nan)) {
            try read.finiteFloats("bad")
        }
        // Generous for a debug build on a busy machine.
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    // MARK: - Files on disk

    @Test func atomicWriteLeavesNoTemporaryFile() throws {
        let folderFile = try TemporaryFile([], name: "keep")
        let folder = (folderFile.path as NSString).deletingLastPathComponent
        let path = folder + "/model.safetensors"
        var file = SafeTensorsFile()
        file.add("a", shape: [1], floats: [1])
        try file.write(to: path)
        file.add("a", shape: [2], floats: [2, 3])
        try file.write(to: path)  // replaces the first
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["keep", "model.safetensors"])
        #expect(try SafeTensorsFile(contentsOf: path).floats("a") == [2, 3])

        // A failed rename (the destination is a folder) removes the temporary file.
        let blocked = folder + "/blocked"
        try FileManager.default.createDirectory(atPath: blocked, withIntermediateDirectories: false)
        let error = #expect(throws: SafeTensorsError.self) { try file.write(to: blocked) }
        guard case .unwritable(let named, _)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(named == blocked)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["blocked", "keep", "model.safetensors"])
    }

    @Test func writingIntoAMissingFolderThrows() throws {
        let path = "/nonexistent-charrnn-\(UUID().uuidString)/model.safetensors"
        let error = #expect(throws: SafeTensorsError.self) { try SafeTensorsFile().write(to: path) }
        guard case .unwritable(let named, _)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(named == path)
        #expect(error?.description.hasPrefix(path + ": cannot write") == true)
    }

    @Test func unreadableFiles() throws {
        let missing = "/nonexistent-charrnn-\(UUID().uuidString).safetensors"
        let error = #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(contentsOf: missing) }
        guard case .unreadable(let named, _)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(named == missing)

        let folder = try TemporaryFile([], name: "x")
        let parent = (folder.path as NSString).deletingLastPathComponent
        #expect(throws: SafeTensorsError.unreadable(file: parent, reason: "not a regular file")) {
            try SafeTensorsFile(contentsOf: parent)
        }
    }

    @Test func errorsFromAFileNameIt() throws {
        let corrupt = try TemporaryFile(fileBytes("{\"a\":\(entry([1], 0, 4))}", data: [1, 2, 3, 4, 5]), name: "bad.safetensors")
        let error = #expect(throws: SafeTensorsError.trailingData(file: corrupt.path, count: 1)) {
            try SafeTensorsFile(contentsOf: corrupt.path)
        }
        #expect(error?.description.hasPrefix(corrupt.path + ": 1 bytes after the last tensor") == true)

        let good = try TemporaryFile(fileBytes("{\"a\":\(entry([1], 0, 4))}", data: [1, 2, 3, 4]), name: "good.safetensors")
        let file = try SafeTensorsFile(contentsOf: good.path)
        #expect(throws: SafeTensorsError.missingTensor(file: good.path, name: "b")) { try file.floats("b") }
    }

    @Test func largeModelRoundTrip() throws {
        // About 25 MB, the size of a large charrnn model.
        let count = 6_500_000
        let values = (0..<count).map { Float($0) * 0.5 - 1000 }
        var file = SafeTensorsFile(metadata: ["charrnn": "{}"])
        file.add("rnn.weight_hh_l0", shape: [count / 1000, 1000], floats: values)
        let folder = try TemporaryFile([], name: "keep")
        let path = (folder.path as NSString).deletingLastPathComponent + "/big.safetensors"
        try file.write(to: path)
        let start = ContinuousClock.now
        let read = try SafeTensorsFile(contentsOf: path).floats("rnn.weight_hh_l0", shape: [count / 1000, 1000])
        let elapsed = ContinuousClock.now - start
        #expect(read == values)
        // Generous even for a debug build; release takes a few tens of milliseconds.
        #expect(elapsed < .seconds(5))
    }
}
