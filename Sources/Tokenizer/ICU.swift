// MARK: - ICU, through the CICU wrappers
//
// Everything in this file works on UTF-16 buffers, the form ICU's C API takes. The public types
// of the module (Tokenizer, TextSource, Vocabulary) never expose ICU.

import CICU

/// A failure reported by ICU, such as a missing data file or an out-of-memory condition.
public struct ICUError: Error, CustomStringConvertible, Sendable {
    /// The ICU operation that failed.
    public let operation: String
    /// ICU's error code name, such as `U_MISSING_RESOURCE_ERROR`.
    public let code: String

    init(_ operation: String, status: Int32) {
        self.operation = operation
        self.code = String(cString: cicu_error_name(status))
    }

    public var description: String { "ICU \(operation) failed: \(code)" }
}

/// The ICU library's version and the Unicode version it implements, such as ("72.1", "15.0").
public var icuVersions: (icu: String, unicode: String) {
    var icu = [CChar](repeating: 0, count: 32)
    var unicode = [CChar](repeating: 0, count: 32)
    cicu_versions(&icu, &unicode, 32)
    return (decodeCString(icu), decodeCString(unicode))
}

private func decodeCString(_ chars: [CChar]) -> String {
    let bytes = chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}

/// One ICU break iterator. Not thread-safe: each `Tokenizer` owns its own.
final class BreakIterator {
    private let handle: OpaquePointer
    private var scratch: [Int32] = []

    /// Opens a break iterator; charrnn always uses the root locale, tests also others.
    init(_ kind: CICUBreakKind, locale: String = "root") throws(ICUError) {
        var status: Int32 = 0
        guard let handle = cicu_breaker_open(kind, locale, &status) else {
            throw ICUError("ubrk_open", status: status)
        }
        self.handle = handle
    }

    deinit { cicu_breaker_close(handle) }

    /// Calls `body` with the boundaries of the UTF-8 `text` (byte offsets, 0 to text.count).
    func withBoundaries<R>(
        of text: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<Int32>) throws -> R
    ) throws -> R {
        let capacity = text.count + 1
        if scratch.count < capacity { scratch = [Int32](repeating: 0, count: capacity) }
        var status: Int32 = 0
        let n = text.withMemoryRebound(to: CChar.self) { text in
            scratch.withUnsafeMutableBufferPointer { out in
                cicu_breaker_boundaries(
                    handle, text.baseAddress, Int32(text.count), out.baseAddress, Int32(capacity),
                    &status)
            }
        }
        if n < 0 || status > 0 { throw ICUError("ubrk_setUText", status: status) }
        return try scratch.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[..<Int(n)])) }
    }
}

// MARK: - Normalization and case mapping

/// Replaces the UTF-8 `bytes` by its NFC form. Leaves it untouched (no copy) when it is NFC
/// already, the common case for real text.
func normalizeNFC(_ bytes: inout [UInt8]) throws(ICUError) {
    var status: Int32 = 0
    let isNFC = bytes.withUnsafeBufferPointer { b in
        b.withMemoryRebound(to: CChar.self) { cicu_is_nfc($0.baseAddress, Int32($0.count), &status) }
    }
    if status > 0 { throw ICUError("Normalizer2::isNormalizedUTF8", status: status) }
    if isNFC == 1 { return }
    bytes = try transform(bytes, "Normalizer2::normalizeUTF8", cicu_nfc)
}

/// Replaces the UTF-8 `bytes` by its NFD form (canonical decomposition: "ễ" becomes "e" and two
/// combining marks).
func normalizeNFD(_ bytes: inout [UInt8]) throws(ICUError) {
    bytes = try transform(bytes, "Normalizer2::normalizeUTF8", cicu_nfd)
}

/// Replaces the UTF-8 `bytes` by its lowercase form (root locale, full case mapping).
func lowercase(_ bytes: inout [UInt8]) throws(ICUError) {
    bytes = try transform(bytes, "ucasemap_utf8ToLower", cicu_to_lower)
}

private typealias ICUTransform = (
    UnsafePointer<CChar>?, Int32, UnsafeMutablePointer<CChar>?, Int32, UnsafeMutablePointer<Int32>?
) -> Int32

/// Runs an ICU string function with ICU's preflight contract: when the output does not fit, ICU
/// says how long it is, and the call is repeated with that much room.
private func transform(_ bytes: [UInt8], _ name: String, _ function: ICUTransform) throws(ICUError) -> [UInt8] {
    var capacity = bytes.count + bytes.count / 2 + 16
    while true {
        var output = [UInt8](repeating: 0, count: capacity)
        var status: Int32 = 0
        let n = bytes.withUnsafeBufferPointer { input in
            input.withMemoryRebound(to: CChar.self) { input in
                output.withUnsafeMutableBufferPointer { out in
                    out.withMemoryRebound(to: CChar.self) { out in
                        function(input.baseAddress, Int32(input.count), out.baseAddress, Int32(capacity), &status)
                    }
                }
            }
        }
        if status == CICU_BUFFER_OVERFLOW, Int(n) > capacity {
            capacity = Int(n)
            continue
        }
        if status > 0 { throw ICUError(name, status: status) }
        output.removeSubrange(Int(n)...)
        return output
    }
}
