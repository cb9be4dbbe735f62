// Reading files: chunking by lines, invalid UTF-8, empty and missing files.

import Foundation
import TestSupport
import Testing
import Tokenizer

@Suite("TextSource")
struct TextSourceTests {
    @Test func chunksAreWholeLinesAndCoverTheFile() throws {
        let lines = (0..<200).map { "line \($0) 春眠不觉晓" + String(repeating: "x", count: $0 % 37) }
        let text = lines.joined(separator: "\n")  // no final newline
        let file = try TemporaryFile(text)
        for chunkSize in [1, 7, 64, 1000, 1 << 20] {
            let source = try TextSource(path: file.path, chunkSize: chunkSize)
            var joined = ""
            var expectedLine = 1
            var expectedOffset = 0
            while let chunk = try source.next() {
                #expect(chunk.firstLine == expectedLine)
                #expect(chunk.byteOffset == expectedOffset)
                #expect(chunk.text.hasSuffix("\n") || joined.count + chunk.text.count == text.count)
                joined += chunk.text
                expectedLine += chunk.text.utf8.count { $0 == 0x0A }
                expectedOffset += chunk.text.utf8.count
            }
            #expect(joined == text)
            #expect(source.bytesRead == text.utf8.count)
        }
    }

    @Test func invalidUTF8NamesFileOffsetAndLine() throws {
        let bytes = Array("first line\nsecond ".utf8) + [0xE6, 0x98] + Array(" broken\n".utf8)
        let file = try TemporaryFile(bytes)
        for chunkSize in [4, 1 << 20] {
            let source = try TextSource(path: file.path, chunkSize: chunkSize)
            #expect(throws: TextInputError.invalidUTF8(file: file.path, offset: 18, line: 2)) {
                _ = try source.readAll()
            }
        }
        let message = TextInputError.invalidUTF8(file: "a.txt", offset: 18, line: 2).description
        #expect(message.contains("a.txt") && message.contains("byte 18") && message.contains("--lossy"))
        #expect(!message.contains("\n"))
    }

    @Test func lossyReplacesAndCounts() throws {
        // A truncated sequence, a lone continuation byte, and an overlong encoding of "/".
        let bytes = Array("a".utf8) + [0xE6, 0x98] + Array("b".utf8) + [0x80] + Array("c".utf8) + [0xC0, 0xAF]
        let file = try TemporaryFile(bytes)
        let source = try TextSource(path: file.path, lossy: true)
        let text = try source.readAll()
        #expect(text == "a\u{FFFD}b\u{FFFD}c\u{FFFD}\u{FFFD}")
        #expect(source.replacements == 4)
    }

    @Test func emptyMissingAndDirectoryInputsAreErrors() throws {
        let empty = try TemporaryFile([])
        #expect(throws: TextInputError.empty(file: empty.path)) { _ = try TextSource(path: empty.path).readAll() }
        let bomOnly = try TemporaryFile([0xEF, 0xBB, 0xBF])
        #expect(throws: TextInputError.empty(file: bomOnly.path)) { _ = try TextSource(path: bomOnly.path).readAll() }
        #expect(throws: TextInputError.unreadable(file: "/no/such/file.txt", reason: "No such file or directory")) {
            _ = try TextSource(path: "/no/such/file.txt")
        }
        #expect(throws: TextInputError.unreadable(file: "/tmp", reason: "is a directory")) {
            _ = try TextSource(path: "/tmp")
        }
    }

    @Test func byteOrderMarkIsDroppedAndOffsetsStayFileOffsets() throws {
        let file = try TemporaryFile([0xEF, 0xBB, 0xBF] + Array("ab\n".utf8) + [0xFF])
        let source = try TextSource(path: file.path, chunkSize: 2)
        let first = try source.next()
        #expect(first?.text == "ab\n")
        #expect(first?.byteOffset == 3)
        #expect(throws: TextInputError.invalidUTF8(file: file.path, offset: 6, line: 2)) { _ = try source.next() }
    }
}
