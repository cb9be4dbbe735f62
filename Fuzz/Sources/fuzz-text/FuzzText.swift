// fuzz-text: any bytes, as a text file. TextSource must read them as its documentation says,
// checked against a decoding of the whole input at once: a leading byte order mark dropped; an
// empty input an error; strict, the text itself or an error at the first invalid byte (offset
// in the file, line from 1); lossy, the text with each maximal invalid sequence replaced by
// U+FFFD and counted. Chunks are whole lines (each but the last ends in a line feed) with the
// right offsets and line numbers, read in chunks as long as the input and of a few bytes. Then the
// grapheme tokenizer (case kept) and the word tokenizer (lowercase) cut the text: the tokens
// must concatenate to its normalized form, and the raw segments to the text itself.

import FuzzSupport
import Tokenizer

// libFuzzer calls the target from one thread only.
nonisolated(unsafe) let graphemes = try! Tokenizer(unit: .grapheme, caseMapping: .preserve)
nonisolated(unsafe) let words = try! Tokenizer(unit: .word, caseMapping: .lower)

/// The executable's entry point under SwiftPM (see FuzzSupport/Driver.swift).
@_cdecl("fuzz_text_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(UnsafeRawPointer(data) ?? UnsafeRawPointer(bitPattern: 1)!, size) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let path = writeScratch(start, count)
    let expected = Expected(bytes)
    // Chunks as long as the input (its last line feed ends the first one), and of 1 to 8 bytes
    // (most lines span several). Not the default 1 MiB: zeroing that twice per read takes most
    // of the time.
    for chunkSize in [max(count, 1), 1 + count % 8] {
        check(path, lossy: false, chunkSize: chunkSize, expected)
        check(path, lossy: true, chunkSize: chunkSize, expected)
    }
    if let text = expected.lossyText { tokenize(text) }
    return 0
}

/// What reading `bytes` must give, from the whole input at once.
struct Expected {
    let bomLength: Int
    let body: ArraySlice<UInt8>
    /// Where the first invalid sequence starts in `body`, and how many maximal ones there are.
    let firstError: Int?
    let errors: Int
    let lossyText: String?

    init(_ bytes: [UInt8]) {
        bomLength = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        body = bytes[bomLength...]
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = body.makeIterator()
        var offset = 0, first: Int?, errors = 0
        loop: while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .error(let length):
                if first == nil { first = offset }
                errors += 1
                offset += length
            case .emptyInput: break loop
            }
        }
        firstError = first
        self.errors = errors
        lossyText = body.isEmpty ? nil : String(decoding: body, as: UTF8.self)
    }
}

func check(_ path: String, lossy: Bool, chunkSize: Int, _ expected: Expected) {
    let what = "\(lossy ? "lossy" : "strict") reading in chunks of \(chunkSize)"
    let source: TextSource
    do { source = try TextSource(path: path, lossy: lossy, chunkSize: chunkSize) } catch {
        violated("\(what): cannot open the scratch file: \(error)")
    }
    var text = ""
    var chunks: [TextChunk] = []
    do {
        while let chunk = try source.next() {
            chunks.append(chunk)
            text += chunk.text
        }
    } catch .empty {
        if !expected.body.isEmpty { violated("\(what): a non-empty input said to be empty") }
        return
    } catch .invalidUTF8(_, let offset, let line) {
        guard !lossy, let first = expected.firstError else {
            violated("\(what): invalid UTF-8 reported at \(offset), line \(line), in input that "
                + (lossy ? "is read lossy" : "is valid"))
        }
        let expectedLine = 1 + expected.body.prefix(first).count { $0 == 0x0A }
        if offset != expected.bomLength + first || line != expectedLine {
            violated("\(what): invalid UTF-8 reported at byte \(offset), line \(line); it is at byte "
                + "\(expected.bomLength + first), line \(expectedLine)")
        }
        return
    } catch {
        violated("\(what): \(error)")
    }
    if expected.body.isEmpty { violated("\(what): an empty input read as \(chunks.count) chunks") }
    if !lossy, expected.firstError != nil { violated("\(what): invalid UTF-8 read without an error") }
    if text != expected.lossyText || !text.utf8.elementsEqual(expected.lossyText!.utf8) {
        violated("\(what): the text read differs from the whole input decoded")
    }
    if source.replacements != (lossy ? expected.errors : 0) {
        violated("\(what): \(source.replacements) replacements counted; there are \(expected.errors)")
    }
    if source.bytesRead != expected.bomLength + expected.body.count {
        violated("\(what): \(source.bytesRead) bytes read of \(expected.bomLength + expected.body.count)")
    }
    // Each chunk starts where the previous one ended, on the line after its last line feed.
    var offset = expected.bomLength, line = 1
    for (index, chunk) in chunks.enumerated() {
        if chunk.byteOffset != offset || chunk.firstLine != line {
            violated("\(what): chunk \(index) starts at byte \(chunk.byteOffset), line \(chunk.firstLine); "
                + "expected byte \(offset), line \(line)")
        }
        if index < chunks.count - 1, chunk.text.utf8.last != 0x0A {
            violated("\(what): chunk \(index) of \(chunks.count) does not end a line")
        }
        if chunk.text.isEmpty { violated("\(what): chunk \(index) is empty") }
        // The chunk's bytes in the input: up to the next chunk's start, or the end.
        let end = index + 1 < chunks.count ? chunks[index + 1].byteOffset : expected.bomLength + expected.body.count
        guard end > offset else { violated("\(what): chunk \(index) ends before it starts") }
        let raw = expected.body[(expected.body.startIndex + offset - expected.bomLength)...]
            .prefix(end - offset)
        if !chunk.text.utf8.elementsEqual(String(decoding: raw, as: UTF8.self).utf8) {
            violated("\(what): chunk \(index) is not the decoding of its bytes")
        }
        line += raw.count { $0 == 0x0A }
        offset = end
    }
}

/// The tokens of `text` concatenate to its normalized form; its raw segments to the text itself.
func tokenize(_ text: String) {
    for tokenizer in [graphemes, words] {
        let what = "the \(tokenizer.unit.rawValue) tokenizer (\(tokenizer.caseMapping.rawValue))"
        do {
            let normalized = try tokenizer.normalize(text)
            let tokens = try tokenizer.tokens(text)
            if !tokens.joined().utf8.elementsEqual(normalized.utf8) {
                violated("\(what): the tokens do not concatenate to the normalized text")
            }
            if tokens.contains(where: \.isEmpty) { violated("\(what): an empty token") }
            let segments = try tokenizer.segment(text)
            if !segments.joined().utf8.elementsEqual(text.utf8) {
                violated("\(what): the segments do not concatenate to the text")
            }
            if segments.contains(where: \.isEmpty) { violated("\(what): an empty segment") }
        } catch {
            violated("\(what): \(error) on valid text")
        }
    }
}
