// MARK: - Writing to standard output and standard error

import SafeTensors  // jsonString

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

/// A JSON array of strings on one line.
func jsonArray(_ items: [String]) -> String {
    "[" + items.map(jsonString).joined(separator: ",") + "]"
}
