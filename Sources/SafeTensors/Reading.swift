// MARK: - Reading: check every size and offset before trusting it

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension SafeTensorsFile {
    /// Reads and checks the safetensors file at `path`.
    ///
    /// - Throws: `SafeTensorsError.unreadable` if the file cannot be read, or the error for the
    ///   first problem found in it (see ``init(bytes:)``).
    /// - Complexity: One read of the file and one copy of its tensor data.
    public init(contentsOf path: String) throws(SafeTensorsError) {
        try self.init(parsing: try readFile(path), source: path)
    }

    /// Reads and checks a whole safetensors file held in memory.
    ///
    /// Checked in this order, each failure with its own error: at least 8 bytes; a header length
    /// within ``maxHeaderLength`` and the file; a header of UTF-8 JSON forming an object, in
    /// which no object repeats a key; `__metadata__` mapping strings to strings; for each tensor a known dtype, a shape of
    /// non-negative integers, two non-negative `data_offsets` with begin ≤ end, no overflow in
    /// its size, and a byte span equal to elements × dtype size; then the tensors, ordered by
    /// offset, tile the data buffer from 0 to its end with no overlap, gap or trailing byte.
    /// Nothing sized by the header is allocated before it has been checked against the data.
    public init(bytes: [UInt8]) throws(SafeTensorsError) {
        try self.init(parsing: bytes, source: nil)
    }

    init(parsing bytes: [UInt8], source: String?) throws(SafeTensorsError) {
        guard bytes.count >= 8 else { throw .truncated(file: source, expected: 8, actual: bytes.count) }
        let length = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard length <= UInt64(Self.maxHeaderLength) else { throw .headerTooLarge(file: source, length: length) }
        let dataStart = 8 + Int(length)
        guard dataStart <= bytes.count else {
            throw .truncated(file: source, expected: dataStart, actual: bytes.count)
        }
        let (metadata, spans) = try parseHeader(bytes[8..<dataStart], source: source)
        try checkTiling(spans, dataLength: bytes.count - dataStart, fileLength: bytes.count, source: source)

        var tensors: [String: TensorEntry] = [:]
        tensors.reserveCapacity(spans.count)
        for span in spans {
            let data = Array(bytes[(dataStart + span.begin)..<(dataStart + span.end)])
            tensors[span.name] = TensorEntry(dtype: span.dtype, shape: span.shape, bytes: data)
        }
        self.init(metadata: metadata, tensors: tensors, source: source)
    }
}

// MARK: - The header

/// A tensor's header entry, checked on its own but not yet against the others.
private struct Span {
    var name: String
    var dtype: DType
    var shape: [Int]
    var begin: Int
    var end: Int
}

/// Parses the header: the metadata, and the tensors' entries sorted by name.
private func parseHeader(_ header: ArraySlice<UInt8>, source: String?)
    throws(SafeTensorsError) -> (metadata: [String: String], spans: [Span])
{
    guard String(validating: header, as: UTF8.self) != nil else {
        throw .headerNotJSON(file: source, reason: "it is not valid UTF-8")
    }
    let root: JSON
    do {
        root = try JSONDecoder().decode(JSON.self, from: Data(header))
    } catch {
        throw .headerNotJSON(file: source, reason: describe(error))
    }
    guard case .object(var fields) = root else {
        throw .headerNotJSON(file: source, reason: "it is \(root.kind), not an object")
    }
    // JSONDecoder keeps one value of a repeated key and drops the others silently (and merges
    // two names that differ in bytes but are canonically equivalent, as Swift compares strings);
    // other readers keep another one. So a repeated key anywhere in the header is an error.
    if let duplicate = firstDuplicateKey(inJSON: header) {
        throw .duplicateKey(file: source, key: duplicate.key, path: duplicate.path)
    }

    var metadata: [String: String] = [:]
    if let value = fields.removeValue(forKey: "__metadata__") {
        guard case .object(let pairs) = value else {
            throw .badMetadata(file: source, reason: "it is \(value.kind), not an object")
        }
        for key in pairs.keys.sorted() {
            guard case .string(let text) = pairs[key] else {
                throw .badMetadata(file: source, reason: "the value of \(String(reflecting: key)) is "
                    + "\(pairs[key]!.kind), not a string")
            }
            metadata[key] = text
        }
    }

    var spans: [Span] = []
    spans.reserveCapacity(fields.count)
    for name in fields.keys.sorted() {
        spans.append(try parseEntry(name, fields[name]!, source: source))
    }
    return (metadata, spans)
}

/// Checks one tensor's entry on its own: fields, types, and that its span fits its size.
private func parseEntry(_ name: String, _ value: JSON, source: String?) throws(SafeTensorsError) -> Span {
    func bad(_ reason: String) -> SafeTensorsError { .badEntry(file: source, name: name, reason: reason) }

    guard case .object(let entry) = value else { throw bad("it is \(value.kind), not an object") }
    guard let dtypeValue = entry["dtype"] else { throw bad("it has no \"dtype\"") }
    guard case .string(let dtypeName) = dtypeValue else { throw bad("\"dtype\" is \(dtypeValue.kind), not a string") }
    guard let dtype = DType(rawValue: dtypeName) else {
        throw bad("\"dtype\" \(String(reflecting: dtypeName)) is not a safetensors dtype")
    }
    guard let shapeValue = entry["shape"] else { throw bad("it has no \"shape\"") }
    guard let shape = shapeValue.nonNegativeIntegers else {
        throw bad("\"shape\" must be an array of non-negative integers")
    }
    guard let offsetsValue = entry["data_offsets"] else { throw bad("it has no \"data_offsets\"") }
    guard let offsets = offsetsValue.nonNegativeIntegers, offsets.count == 2 else {
        throw bad("\"data_offsets\" must be two non-negative integers [begin, end]")
    }
    let (begin, end) = (offsets[0], offsets[1])
    guard begin <= end else { throw bad("\"data_offsets\" [\(begin), \(end)] begin after they end") }
    guard let count = elementCount(of: shape) else {
        throw bad("shape \(shape) has more elements than an Int can count")
    }
    guard let size = dtype.byteCount(elements: count) else {
        let overflow = count.multipliedReportingOverflow(by: dtype.bitWidth).overflow
        throw bad(overflow ? "shape \(shape) of \(dtypeName) takes more bytes than an Int can count"
                           : "\(count) elements of \(dtypeName) are not a whole number of bytes")
    }
    guard end - begin == size else {
        throw .sizeMismatch(file: source, name: name, expected: size, actual: end - begin)
    }
    return Span(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
}

/// Checks that the spans, ordered by offset, cover `0..<dataLength` exactly once.
private func checkTiling(_ spans: [Span], dataLength: Int, fileLength: Int, source: String?) throws(SafeTensorsError) {
    let ordered = spans.sorted {
        ($0.begin, $0.end) != ($1.begin, $1.end)
            ? ($0.begin, $0.end) < ($1.begin, $1.end)
            : $0.name.utf8.lexicographicallyPrecedes($1.name.utf8)
    }
    var covered = 0  // data[0..<covered] belongs to the spans seen so far
    var previous = ""
    for span in ordered {
        if span.begin < covered { throw .overlappingOffsets(file: source, previous, span.name) }
        if span.begin > covered {
            throw .gapInData(file: source, before: span.name, offset: covered, length: span.begin - covered)
        }
        covered = span.end
        previous = span.name
    }
    if covered > dataLength {
        let (needed, overflow) = (fileLength - dataLength).addingReportingOverflow(covered)
        throw .truncated(file: source, expected: overflow ? Int.max : needed, actual: fileLength)
    }
    if covered < dataLength { throw .trailingData(file: source, count: dataLength - covered) }
}

/// A short reason for a JSON decoding failure.
private func describe(_ error: any Error) -> String {
    guard let error = error as? DecodingError else { return "\(error)" }
    switch error {
    case .dataCorrupted(let context):
        if let underlying = context.underlyingError { return "\(underlying)" }
        return context.debugDescription
    case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context):
        return context.debugDescription
    @unknown default:
        return "\(error)"
    }
}

// MARK: - JSON values

/// A JSON value as the header parser sees it; integers are kept apart from other numbers so
/// that offsets and dimensions are exact.
private enum JSON: Decodable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSON].self))
        }
    }

    /// What kind of value this is, for messages: "a string", "an array", ...
    var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// The elements, if this is an array of non-negative integers.
    var nonNegativeIntegers: [Int]? {
        guard case .array(let elements) = self else { return nil }
        var result: [Int] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            guard case .integer(let value) = element, value >= 0 else { return nil }
            result.append(value)
        }
        return result
    }
}

// MARK: - The file

/// All the bytes of the regular file at `path`, sized by `fstat` before anything is allocated.
private func readFile(_ path: String) throws(SafeTensorsError) -> [UInt8] {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw .unreadable(file: path, reason: systemError()) }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else { throw .unreadable(file: path, reason: systemError()) }
    guard status.st_mode & S_IFMT == S_IFREG else {
        throw .unreadable(file: path, reason: "not a regular file")
    }
    let size = Int(status.st_size)
    var bytes = [UInt8](repeating: 0, count: size)
    var done = 0
    while done < size {
        let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + done, size - done) }
        if count < 0 {
            if errno == EINTR { continue }
            throw .unreadable(file: path, reason: systemError())
        }
        if count == 0 { break }  // the file shrank while being read: the parser will say so
        done += count
    }
    if done < size { bytes.removeLast(size - done) }
    return bytes
}

/// The system's message for the current `errno`.
func systemError() -> String {
    String(cString: strerror(errno))
}
