// Segmentation checked against the Unicode Consortium's own conformance files (UAX #29), as
// Debian's unicode-data package ships them for Unicode 15.0, the version ICU 72 implements.

import Foundation
import Testing
import CICU
@testable import Tokenizer

/// One line of GraphemeBreakTest.txt or WordBreakTest.txt: `÷ 0020 × 0308 ÷ 0020 ÷ # comment`.
struct BreakCase: CustomStringConvertible {
    var line: Int
    var text: String
    /// The expected segments.
    var segments: [String]

    var description: String {
        "line \(line): " + segments.map { $0.unicodeScalars.map { String($0.value, radix: 16) }.joined(separator: " ") }
            .joined(separator: " ÷ ")
    }

    static func load(_ name: String) throws -> [BreakCase] {
        let path = "/usr/share/unicode/auxiliary/\(name)"
        let contents = try String(contentsOfFile: path, encoding: .utf8)
        var cases: [BreakCase] = []
        for (index, line) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let rule = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
            let fields = rule.split { $0 == " " || $0 == "\t" }
            guard fields.first == "÷" else { continue }
            var segments: [String] = []
            var current = ""
            for field in fields.dropFirst() {
                switch field {
                case "÷":
                    segments.append(current)
                    current = ""
                case "×":
                    continue
                default:
                    let value = UInt32(field, radix: 16)!
                    current.unicodeScalars.append(Unicode.Scalar(value)!)
                }
            }
            cases.append(BreakCase(line: index + 1, text: segments.joined(), segments: segments))
        }
        return cases
    }
}

@Suite("Unicode 15.0 segmentation conformance")
struct UnicodeConformanceTests {
    @Test func icuImplementsUnicode15() {
        #expect(icuVersions.unicode == "15.0")
    }

    @Test func graphemeBreakTest() throws {
        let cases = try BreakCase.load("GraphemeBreakTest.txt")
        #expect(cases.count == 602)
        let tokenizer = try Tokenizer(unit: .grapheme)
        var failures: [String] = []
        for test in cases where try tokenizer.segment(test.text) != test.segments {
            failures.append(test.description)
        }
        #expect(failures.isEmpty, "\(failures.count) of \(cases.count) cases differ: \(failures.prefix(10))")
    }

    /// Lines of WordBreakTest.txt where ICU 72's root locale knowingly differs from UAX #29:
    /// CLDR 42 took U+003A COLON out of MidLetter for the root locale (a colon between letters,
    /// as in "a:A", is a word boundary there) and keeps UAX #29's behaviour only for Finnish and
    /// Swedish, which write abbreviations such as "S:t". Each of these lines has a colon between
    /// letters, and each passes with the Swedish tailoring (checked below).
    static let colonLines: Set<Int> = [1253, 1254, 1267, 1268, 1283, 1284, 1285, 1286, 1287, 1288,
                                       1289, 1290, 1291, 1292, 1712]

    @Test func wordBreakTest() throws {
        let cases = try BreakCase.load("WordBreakTest.txt")
        #expect(cases.count == 1823)
        let tokenizer = try Tokenizer(unit: .word)
        var differing: Set<Int> = []
        for test in cases where try tokenizer.segment(test.text) != test.segments {
            differing.insert(test.line)
        }
        #expect(differing == Self.colonLines, "lines that differ from UAX #29: \(differing.sorted())")

        let swedish = try BreakIterator(CICUBreakWord, locale: "sv")
        for test in cases where Self.colonLines.contains(test.line) {
            #expect(test.text.unicodeScalars.contains(":"), "\(test)")
            #expect(try segments(test.text, swedish) == test.segments, "\(test)")
        }
    }

    /// The segments of `text` with a given break iterator.
    private func segments(_ text: String, _ iterator: BreakIterator) throws -> [String] {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { buffer in
            try iterator.withBoundaries(of: buffer) { bounds in
                zip(bounds, bounds.dropFirst()).map { String(decoding: buffer[Int($0)..<Int($1)], as: UTF8.self) }
            }
        }
    }
}
