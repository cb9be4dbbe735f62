// MARK: - Reading text files as a stream of whole lines

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a text could not be read.
public enum TextInputError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file could not be opened or read; `reason` is the system's message.
    case unreadable(file: String, reason: String)
    /// The file holds no bytes.
    case empty(file: String)
    /// The bytes at `offset` (counted from 0) on line `line` (from 1) are not UTF-8.
    case invalidUTF8(file: String, offset: Int, line: Int)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason):
            return "\(file): cannot read: \(reason)"
        case .empty(let file):
            return "\(file): the input is empty; give a file with some text"
        case .invalidUTF8(let file, let offset, let line):
            return "\(file): invalid UTF-8 at byte \(offset) (line \(line)); convert the file to UTF-8 "
                + "(iconv -f ENCODING -t UTF-8), or pass --lossy to replace bad bytes with U+FFFD"
        }
    }
}

/// A piece of a text: whole lines, decoded.
public struct TextChunk: Sendable {
    /// The decoded lines, each with its line terminator (the last line of a file may lack one).
    public var text: String
    /// Offset in the file of the chunk's first byte.
    public var byteOffset: Int
    /// Number (from 1) of the chunk's first line.
    public var firstLine: Int
}

/// Reads a UTF-8 file or standard input in chunks of whole lines, so a large corpus is never held
/// in memory at once.
///
/// A chunk never splits a line, so NFC, grapheme and word boundaries, which never reach across a
/// line feed, are the same per chunk as for the whole file. A byte order mark at the start of the
/// file is dropped. Invalid UTF-8 is an error naming the byte offset, or, when `lossy`, each
/// maximal invalid sequence becomes U+FFFD and is counted in `replacements`.
public final class TextSource {
    /// The name used in messages: the path, or "<stdin>".
    public let name: String
    /// Whether invalid UTF-8 is replaced rather than an error.
    public let lossy: Bool
    /// How many invalid sequences were replaced by U+FFFD so far.
    public private(set) var replacements = 0
    /// Bytes read so far.
    public private(set) var bytesRead = 0

    private let file: UnsafeMutablePointer<FILE>
    private let ownsFile: Bool
    private let chunkSize: Int
    private var pending: [UInt8] = []
    private var pendingOffset = 0  // offset in the file of pending[0]
    private var atEnd = false
    private var emittedAny = false
    private var checkedForBOM = false
    private var newlineFreePrefix = 0  // pending[..<this] is known to hold no line feed
    private var line = 1

    /// Opens a file for reading; `"-"` reads standard input.
    ///
    /// - Parameters:
    ///   - path: the file, or "-" for standard input.
    ///   - lossy: replace invalid UTF-8 by U+FFFD instead of failing.
    ///   - chunkSize: bytes read at a time (a chunk grows to hold a longer line).
    public init(path: String, lossy: Bool = false, chunkSize: Int = 1 << 20) throws(TextInputError) {
        self.lossy = lossy
        self.chunkSize = max(chunkSize, 1)
        if path == "-" {
            name = "<stdin>"
            guard let f = fdopen(STDIN_FILENO, "rb") else {
                throw .unreadable(file: name, reason: String(cString: strerror(errno)))
            }
            file = f
            ownsFile = false
        } else {
            name = path
            var info = stat()
            if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
                throw .unreadable(file: path, reason: "is a directory")
            }
            guard let f = fopen(path, "rb") else {
                throw .unreadable(file: path, reason: String(cString: strerror(errno)))
            }
            file = f
            ownsFile = true
        }
    }

    deinit { if ownsFile { fclose(file) } }

    /// Reads the whole input into one string (for small files and tests).
    public func readAll() throws(TextInputError) -> String {
        var text = ""
        while let chunk = try next() { text += chunk.text }
        return text
    }

    /// The next chunk of whole lines, or nil at the end of the input.
    ///
    /// - Throws: `TextInputError` for unreadable, empty or (unless lossy) invalid input.
    public func next() throws(TextInputError) -> TextChunk? {
        while !atEnd {
            if checkedForBOM, pending.count >= chunkSize {
                if let cut = pending[newlineFreePrefix...].lastIndex(of: 0x0A) { return try emit(upTo: cut + 1) }
                newlineFreePrefix = pending.count  // a long line: scan only new bytes next time
            }
            try fill()
        }
        if pending.isEmpty {
            if !emittedAny { throw .empty(file: name) }
            return nil
        }
        return try emit(upTo: pending.count)
    }

    private func fill() throws(TextInputError) {
        let start = pending.count
        pending.reserveCapacity(start + chunkSize)
        pending.append(contentsOf: repeatElement(0, count: chunkSize))
        let n = pending.withUnsafeMutableBufferPointer { buffer in
            fread(buffer.baseAddress! + start, 1, chunkSize, file)
        }
        pending.removeSubrange((start + n)...)
        if n < chunkSize {
            if ferror(file) != 0 {
                throw .unreadable(file: name, reason: String(cString: strerror(errno)))
            }
            atEnd = true
        }
        bytesRead += n
        if !checkedForBOM, pending.count >= 3 || atEnd {
            checkedForBOM = true
            if pending.starts(with: [0xEF, 0xBB, 0xBF]) {
                pending.removeFirst(3)
                pendingOffset = 3
            }
        }
    }

    private func emit(upTo end: Int) throws(TextInputError) -> TextChunk {
        let offset = pendingOffset
        let firstLine = line
        let bytes = pending[..<end]
        let text: String
        if let valid = String(validating: bytes, as: UTF8.self) {
            text = valid
        } else {
            let scan = scanUTF8(bytes)
            if !lossy {
                let bad = scan.firstError ?? 0
                let lineOfError = firstLine + bytes[..<(bytes.startIndex + bad)].count { $0 == 0x0A }
                throw .invalidUTF8(file: name, offset: offset + bad, line: lineOfError)
            }
            replacements += scan.errors
            text = String(decoding: bytes, as: UTF8.self)
        }
        line += bytes.count { $0 == 0x0A }
        pending.removeSubrange(..<end)
        newlineFreePrefix = pending.count  // emit cuts after the last line feed, or takes all
        pendingOffset += end
        emittedAny = true
        return TextChunk(text: text, byteOffset: offset, firstLine: firstLine)
    }
}

/// Where the first invalid sequence of `bytes` starts (relative to its start), and how many
/// maximal invalid sequences it holds: the number of U+FFFD that lossy decoding produces.
func scanUTF8(_ bytes: some Collection<UInt8>) -> (firstError: Int?, errors: Int) {
    var parser = Unicode.UTF8.ForwardParser()
    var iterator = bytes.makeIterator()
    var offset = 0
    var firstError: Int?
    var errors = 0
    while true {
        switch parser.parseScalar(from: &iterator) {
        case .valid(let scalar):
            offset += scalar.count
        case .error(let length):
            if firstError == nil { firstError = offset }
            errors += 1
            offset += length
        case .emptyInput:
            return (firstError, errors)
        }
    }
}
