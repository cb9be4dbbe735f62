// MARK: - Writing to standard output and standard error

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffered writes to a file descriptor; a large output is written in 64 KB pieces.
struct OutputStream {
    private let descriptor: Int32
    private var buffer: [UInt8] = []

    static func standardOutput() -> OutputStream { OutputStream(descriptor: STDOUT_FILENO) }

    private init(descriptor: Int32) {
        self.descriptor = descriptor
        buffer.reserveCapacity(1 << 16)
    }

    mutating func append(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        buffer.withUnsafeBytes { bytes in
            var start = 0
            while start < bytes.count {
                let n = write(descriptor, bytes.baseAddress! + start, bytes.count - start)
                if n < 0 {
                    if errno == EINTR { continue }
                    return  // The reader went away (EPIPE); nothing more can be written.
                }
                start += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Prints one line on standard error: for notes and progress, never for results.
func printNote(_ text: String) {
    let line = "charrnn: " + text + "\n"
    _ = line.utf8CString.withUnsafeBufferPointer { write(STDERR_FILENO, $0.baseAddress, $0.count - 1) }
}

/// `text` as a JSON string literal (RFC 8259): quotes, backslashes and control characters
/// escaped, everything else as UTF-8.
func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    out += "\""
    return out
}

/// A JSON array of strings on one line.
func jsonArray(_ items: [String]) -> String {
    "[" + items.map(jsonString).joined(separator: ",") + "]"
}
