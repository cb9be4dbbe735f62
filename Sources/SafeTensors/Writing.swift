// MARK: - Writing: a deterministic layout, replaced atomically

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension SafeTensorsFile {
    /// The whole file as bytes.
    ///
    /// The layout is deterministic and the one the reference writer produces for F32 tensors:
    /// the header lists `__metadata__` first (only when there is some, its keys sorted), then
    /// the tensors in byte order of their names, each as `{"dtype", "shape", "data_offsets"}`;
    /// it is compact JSON padded with spaces so that the data starts at a multiple of 8 bytes;
    /// the tensors' data follows in the same order, back to back.
    public func serialized() -> [UInt8] {
        let names = self.names
        var fields: [String] = []
        if !metadata.isEmpty {
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            let pairs = keys.map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for name in names {
            let entry = tensors[name]!
            let shape = entry.shape.map(String.init).joined(separator: ",")
            let end = offset + entry.bytes.count
            fields.append("\(jsonString(name)):{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(shape)],"
                + "\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array("{\(fields.joined(separator: ","))}".utf8)
        header += repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8)

        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes += $0 }
        bytes += header
        for name in names { bytes += tensors[name]!.bytes }
        return bytes
    }

    /// Writes the file to `path`, replacing any file there only once the new one is complete.
    ///
    /// The bytes of ``serialized()`` go to `path.tmp-<pid>` in the same folder, which is flushed
    /// to disk and then renamed over `path`; on failure the temporary file is removed and `path`
    /// is left as it was.
    ///
    /// - Throws: `SafeTensorsError.unwritable` with the system's reason.
    public func write(to path: String) throws(SafeTensorsError) {
        let bytes = serialized()
        let temporary = "\(path).tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .unwritable(file: path, reason: "cannot create \(temporary) beside it (\(systemError()))")
        }

        var failure: String? = writeAll(bytes, to: descriptor)
        if failure == nil, fsync(descriptor) != 0 { failure = systemError() }
        if close(descriptor) != 0, failure == nil { failure = systemError() }
        if failure == nil, rename(temporary, path) != 0 { failure = systemError() }
        if let failure {
            unlink(temporary)
            throw .unwritable(file: path, reason: failure)
        }
        syncFolder(of: path)
    }
}

// MARK: - Helpers

/// `text` as a JSON string literal (RFC 8259), escaped as serde_json (the reference writer)
/// does: quote, backslash and control characters; everything else as UTF-8.
public func jsonString(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\u{08}": result += "\\b"
        case "\u{0C}": result += "\\f"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        case "\u{00}"..."\u{1F}":
            let hex = String(scalar.value, radix: 16)
            result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}

/// Writes all of `bytes`, retrying short and interrupted writes; the system's message on failure.
private func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> String? {
    bytes.withUnsafeBytes { buffer -> String? in
        var done = 0
        while done < buffer.count {
            let count = write(descriptor, buffer.baseAddress! + done, buffer.count - done)
            if count < 0 {
                if errno == EINTR { continue }
                return systemError()
            }
            done += count
        }
        return nil
    }
}

/// Flushes the folder holding `path`, so that a rename into it survives a crash. Best effort:
/// the file itself is already complete on disk.
private func syncFolder(of path: String) {
    let folder = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
    let descriptor = open(folder.isEmpty ? "/" : folder, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return }
    fsync(descriptor)
    close(descriptor)
}
