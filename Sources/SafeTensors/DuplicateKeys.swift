// MARK: - Duplicate keys in JSON text
//
// RFC 8259 says only that the names of an object "SHOULD be unique", and parsers disagree on
// what a repeated name means: Foundation's JSONSerialization and JSONDecoder keep one of the
// values, Python's json.loads the last. A file whose meaning depends on the reader is refused
// instead, so charrnn looks for repeated keys itself, in a pass of its own over the text.

/// A key that appears twice in the same JSON object.
public struct DuplicateJSONKey: Equatable, Sendable {
    /// The key, unescaped.
    public var key: String
    /// Where the object is: the keys (and, for arrays, `[index]`) that lead to it from the
    /// outermost value; empty for the outermost object itself.
    public var path: [String]

    public init(key: String, path: [String]) {
        self.key = key
        self.path = path
    }

    /// A path for messages: keys quoted, array indices bare, `→` between them
    /// (`"training" → "lr" → [1]`).
    public static func describe(_ path: some Sequence<String>) -> String {
        path.map { $0.hasPrefix("[") ? $0 : String(reflecting: $0) }.joined(separator: " → ")
    }
}

/// The first key that some object of the JSON text `text` holds twice, or `nil` if none does.
///
/// Keys are compared after unescaping (`"a"` and `"\u0061"` are one key, and so are `"😀"` and
/// `"\ud83d\ude00"`), then as Swift compares strings, by canonical equivalence: two keys that a
/// Swift dictionary would merge count as one. An unpaired surrogate escape stands for U+FFFD. Only object keys are compared; each object has
/// its own keys, however deeply it is nested.
///
/// The text should be valid JSON (parse it first): this pass does not check the grammar, and
/// on text that is not JSON it returns some answer without trapping.
///
/// - Complexity: One pass over the bytes; only keys are turned into strings. Nesting depth
///   costs heap memory, not stack.
public func firstDuplicateKey(inJSON text: some Collection<UInt8>) -> DuplicateJSONKey? {
    if let answer = text.withContiguousStorageIfAvailable({ scanForDuplicateKeys($0) }) { return answer }
    return Array(text).withUnsafeBufferPointer { scanForDuplicateKeys($0) }
}

/// The first key that some object of the JSON text `text` holds twice; see the byte version.
public func firstDuplicateKey(inJSON text: String) -> DuplicateJSONKey? {
    var text = text
    return text.withUTF8 { scanForDuplicateKeys($0) }
}

/// One open object or array while scanning.
private struct Frame {
    /// Objects: the keys seen so far; nil for an array.
    var keys: Set<String>?
    /// Objects: whether the next string is a key. Arrays: unused.
    var expectingKey = true
    /// Objects: the latest key. Arrays: the index of the current element.
    var latestKey = ""
    var index = 0

    /// How a child of this frame is named in a path.
    var childName: String { keys == nil ? "[\(index)]" : latestKey }
}

private func scanForDuplicateKeys(_ bytes: UnsafeBufferPointer<UInt8>) -> DuplicateJSONKey? {
    var stack: [Frame] = []
    var i = 0
    let n = bytes.count
    while i < n {
        let byte = bytes[i]
        switch byte {
        case UInt8(ascii: "{"):
            stack.append(Frame(keys: []))
            i += 1
        case UInt8(ascii: "["):
            stack.append(Frame(keys: nil))
            i += 1
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            if !stack.isEmpty { stack.removeLast() }
            i += 1
        case UInt8(ascii: ","):
            if !stack.isEmpty {
                if stack[stack.count - 1].keys == nil { stack[stack.count - 1].index += 1 }
                else { stack[stack.count - 1].expectingKey = true }
            }
            i += 1
        case UInt8(ascii: "\""):
            let isKey = stack.last.map { $0.keys != nil && $0.expectingKey } ?? false
            guard isKey else {
                i = endOfString(bytes, from: i + 1)
                continue
            }
            let (key, end) = readString(bytes, from: i + 1)
            i = end
            let top = stack.count - 1
            if stack[top].keys!.insert(key).inserted == false {
                return DuplicateJSONKey(key: key, path: stack.dropLast().map(\.childName))
            }
            stack[top].latestKey = key
            stack[top].expectingKey = false
        default:
            i += 1  // whitespace, ':', numbers, true, false, null
        }
    }
    return nil
}

/// The index just past the closing quote of the string whose contents start at `start`.
private func endOfString(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
    var i = start
    while i < bytes.count {
        switch bytes[i] {
        case UInt8(ascii: "\\"): i += 2  // the escaped byte cannot end the string ("\u" is followed by hex digits)
        case UInt8(ascii: "\""): return i + 1
        default: i += 1
        }
    }
    return bytes.count
}

/// The unescaped contents of the string starting at `start`, and the index past its closing quote.
private func readString(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> (String, Int) {
    var utf8: [UInt8] = []
    var i = start
    let n = bytes.count
    func hex4(at index: Int) -> UInt32? {
        guard index + 4 <= n else { return nil }
        var value: UInt32 = 0
        for k in index..<(index + 4) {
            let c = bytes[k]
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }
    func append(_ scalar: Unicode.Scalar) { utf8.append(contentsOf: UTF8.encode(scalar)!) }

    while i < n {
        let byte = bytes[i]
        if byte == UInt8(ascii: "\"") { return (String(decoding: utf8, as: UTF8.self), i + 1) }
        guard byte == UInt8(ascii: "\\"), i + 1 < n else {
            utf8.append(byte)
            i += 1
            continue
        }
        let escaped = bytes[i + 1]
        i += 2
        switch escaped {
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            guard let unit = hex4(at: i) else { continue }  // not JSON; keep scanning
            i += 4
            if (0xD800..<0xDC00).contains(unit), i + 6 <= n, bytes[i] == UInt8(ascii: "\\"),
               bytes[i + 1] == UInt8(ascii: "u"), let low = hex4(at: i + 2), (0xDC00..<0xE000).contains(low)
            {
                i += 6
                append(Unicode.Scalar(0x10000 + (unit - 0xD800) << 10 + (low - 0xDC00))!)
            } else {
                append(Unicode.Scalar(unit) ?? "\u{FFFD}")  // an unpaired surrogate
            }
        default: utf8.append(escaped)  // '"', '\\', '/'
        }
    }
    return (String(decoding: utf8, as: UTF8.self), n)
}
