// NFC checked against the Unicode Consortium's NormalizationTest.txt (Unicode 15.0, Debian's
// unicode-data package), decompressed here from the .bz2 the package ships.

import Foundation
import Testing
@testable import Tokenizer

@Suite("NFC conformance")
struct NormalizationTests {
    /// NormalizationTest.txt: its lines of five fields, and the code points Part 1 lists.
    struct Data {
        var cases: [(line: Int, fields: [String])] = []
        var part1: Set<UInt32> = []
    }

    static func load() throws -> Data {
        let path = "/usr/share/unicode/NormalizationTest.txt.bz2"
        let compressed = try [UInt8](Foundation.Data(contentsOf: URL(fileURLWithPath: path)))
        let text = String(decoding: try bunzip2(compressed), as: UTF8.self)
        var data = Data()
        var part = ""
        for (index, line) in text.split(separator: "\n").enumerated() {
            if line.hasPrefix("@Part") {
                part = String(line.prefix(6))
                continue
            }
            guard !line.hasPrefix("#") else { continue }
            let fields = line.split(separator: ";", omittingEmptySubsequences: false).prefix(5).map { field in
                var s = ""
                for hex in field.split(separator: " ") { s.unicodeScalars.append(Unicode.Scalar(UInt32(hex, radix: 16)!)!) }
                return s
            }
            guard fields.count == 5 else { continue }
            data.cases.append((index + 1, fields))
            if part == "@Part1" { data.part1.insert(fields[0].unicodeScalars.first!.value) }
        }
        return data
    }

    /// NFC(c1) = NFC(c2) = NFC(c3) = c2 and NFC(c4) = NFC(c5) = c4, for every line.
    @Test func everyLineOfNormalizationTest() throws {
        let data = try Self.load()
        #expect(data.cases.count > 19_000)
        let tokenizer = try Tokenizer()
        var failures: [Int] = []
        for (line, c) in data.cases {
            let expected = [c[1], c[1], c[1], c[3], c[3]]
            let got = try c.map { try tokenizer.normalize($0) }
            // Compare code points: Swift's String == already treats canonical equivalents alike.
            if !zip(got, expected).allSatisfy({ Array($0.unicodeScalars) == Array($1.unicodeScalars) }) {
                failures.append(line)
            }
        }
        #expect(failures.isEmpty, "lines \(failures.prefix(20)) of \(failures.count)")
    }

    /// Every code point that Part 1 does not list is its own NFC form. They are checked in
    /// batches, each followed by a line feed, which composes with nothing.
    @Test func codePointsNotInPart1AreUnchanged() throws {
        let data = try Self.load()
        #expect(data.part1.count > 10_000)
        let tokenizer = try Tokenizer()
        var changed: [UInt32] = []
        var batch = ""
        var checked = 0
        func check() throws {
            if Array(try tokenizer.normalize(batch).unicodeScalars) != Array(batch.unicodeScalars) {
                for scalar in batch.unicodeScalars where scalar != "\n" {
                    let one = String(scalar)
                    if Array(try tokenizer.normalize(one).unicodeScalars) != [scalar] { changed.append(scalar.value) }
                }
            }
            batch = ""
        }
        for value in UInt32(0)...0x10FFFF where !data.part1.contains(value) {
            guard let scalar = Unicode.Scalar(value) else { continue }  // surrogates
            batch.unicodeScalars.append(scalar)
            batch.unicodeScalars.append("\n")
            checked += 1
            if batch.utf8.count > 1 << 16 { try check() }
        }
        try check()
        #expect(checked > 1_000_000)
        #expect(changed.isEmpty, "\(changed.prefix(20).map { String($0, radix: 16) })")
    }
}
