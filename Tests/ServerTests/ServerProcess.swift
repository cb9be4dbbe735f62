// The built charrnn-serve program, started on a free loopback port, and a small HTTP/1.1 client
// over a plain socket (so that a test can also stop reading mid-stream and hang up).

import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The folder of the built programs (beside this test bundle).
let buildFolder = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()

/// The shipped models the tests serve.
let shippedModels = ["tang", "names-classifier", "names-generator"].map { "\(packageRoot)/Models/\($0).safetensors" }

/// A running server process; stopped (SIGKILL if still running) when the value goes away.
/// Requests from several threads are safe (each opens its own connection); `stop` is called
/// once, by one test.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let port: Int
    private let stderr = Pipe()
    private(set) var output = ""

    /// Starts `program` (charrnn-serve, or charrnn with `serve` first) with `arguments` and
    /// `--port 0`, and waits for the line that gives its address.
    init(program: String = "charrnn-serve", _ arguments: [String]) throws {
        process.executableURL = buildFolder.appendingPathComponent(program)
        process.arguments = arguments + ["--port", "0"]
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var text = ""
        let handle = stderr.fileHandleForReading
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let data = handle.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
            if let range = text.range(of: "http://127.0.0.1:"),
               let end = text[range.upperBound...].firstIndex(of: "\n") {
                port = Int(text[range.upperBound..<end])!
                output = text
                return
            }
        }
        process.terminate()
        throw ServerStartError(output: text)
    }

    /// Sends SIGTERM and waits for the process to end; its exit status and the seconds it took.
    func stop(signal: Int32 = SIGTERM) -> (status: Int32, seconds: Double) {
        let start = Date()
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        output += String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, Date().timeIntervalSince(start))
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// One request on a new connection, read to its end.
    func request(_ method: String, _ path: String, body: String? = nil, headers: [String: String] = [:]) throws -> HTTPReply {
        let connection = try HTTPConnection(port: port)
        try connection.send(method, path, body: body.map { Array($0.utf8) }, headers: headers)
        return try connection.readReply()
    }

    /// A POST of a JSON body.
    func post(_ path: String, _ json: String, headers: [String: String] = [:]) throws -> HTTPReply {
        try request("POST", path, body: json, headers: headers.merging(["Content-Type": "application/json"]) { a, _ in a })
    }
}

struct ServerStartError: Error, CustomStringConvertible {
    var output: String
    var description: String { "the server did not start: \(output)" }
}

/// A response: status, headers (names lowercased) and body.
struct HTTPReply {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
    /// The body as JSON.
    var json: Any { (try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])) ?? NSNull() }
    /// The `error` of a JSON error body.
    var error: String? { (json as? [String: Any])?["error"] as? String }
    /// The `field` of a JSON error body.
    var field: String? { (json as? [String: Any])?["field"] as? String }
}

/// One HTTP/1.1 connection over a loopback socket, with a 120-second read timeout so that a
/// test cannot hang.
final class HTTPConnection {
    private let socket: Int32
    private var buffered: [UInt8] = []

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 120, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(socket)
            throw HTTPClientError("cannot connect to port \(port): errno \(errno)")
        }
    }

    deinit { Glibc.close(socket) }

    /// Hangs up.
    func hangUp() { shutdown(socket, Int32(SHUT_RDWR)) }

    func send(_ method: String, _ path: String, body: [UInt8]?, headers: [String: String] = [:]) throws {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Length: \(body.count)\r\n" }
        try write(Array((head + "\r\n").utf8) + (body ?? []))
    }

    func write(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw HTTPClientError("send failed: errno \(errno)") }
            sent += n
        }
    }

    /// More bytes from the socket; empty at the end of the stream.
    private func receive() throws -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        guard n >= 0 else { throw HTTPClientError("receive failed: errno \(errno)") }
        return Array(chunk[0..<n])
    }

    /// Reads up to and including `delimiter`; nil if the stream ends first.
    private func read(until delimiter: [UInt8]) throws -> [UInt8]? {
        while true {
            if let end = find(delimiter, in: buffered) {
                let part = Array(buffered[..<(end + delimiter.count)])
                buffered.removeFirst(end + delimiter.count)
                return part
            }
            let more = try receive()
            if more.isEmpty { return nil }
            buffered += more
        }
    }

    private func read(count: Int) throws -> [UInt8] {
        while buffered.count < count {
            let more = try receive()
            if more.isEmpty { throw HTTPClientError("the response ended early") }
            buffered += more
        }
        defer { buffered.removeFirst(count) }
        return Array(buffered[..<count])
    }

    private(set) var head: (status: Int, headers: [String: String])?

    /// Reads the status line and headers.
    func readHead() throws -> (status: Int, headers: [String: String]) {
        guard let bytes = try read(until: Array("\r\n\r\n".utf8)) else { throw HTTPClientError("no response") }
        let lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(lines[0].split(separator: " ")[1])!
        var headers: [String: String] = [:]
        for line in lines.dropFirst() where line.contains(":") {
            let (name, value) = line.split(separator: ":", maxSplits: 1).map(String.init).pair
            headers[name.lowercased()] = value.trimmingCharacters(in: .whitespaces)
        }
        head = (status, headers)
        return (status, headers)
    }

    /// The next piece of the body (a chunk of a chunked body, or whatever arrived); nil at its end.
    func readBodyPiece() throws -> [UInt8]? {
        let headers = head!.headers
        if headers["transfer-encoding"] == "chunked" {
            guard let sizeLine = try read(until: Array("\r\n".utf8)) else { return nil }
            let size = Int(String(decoding: sizeLine.dropLast(2), as: UTF8.self).split(separator: ";")[0], radix: 16)!
            if size == 0 {
                _ = try read(until: Array("\r\n".utf8))
                return nil
            }
            let data = try read(count: size)
            _ = try read(count: 2)
            return data
        }
        if let length = headers["content-length"].flatMap(Int.init) {
            return length == 0 ? nil : try read(count: length)
        }
        if !buffered.isEmpty { defer { buffered = [] }; return buffered }
        let more = try receive()
        return more.isEmpty ? nil : more
    }

    func readReply() throws -> HTTPReply {
        let (status, headers) = try readHead()
        var body: [UInt8] = []
        while let piece = try readBodyPiece() {
            body += piece
            if headers["content-length"] != nil { break }
        }
        return HTTPReply(status: status, headers: headers, body: body)
    }
}

struct HTTPClientError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

private func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard haystack.count >= needle.count else { return nil }
    for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
        if Array(haystack[i..<(i + needle.count)]) == needle { return i }
    }
    return nil
}

private extension Array where Element == String {
    var pair: (String, String) { (self[0], count > 1 ? self[1] : "") }
}

/// Server-sent events in a body: (event name, data as JSON).
func serverSentEvents(_ text: String) -> [(name: String, data: Any)] {
    text.components(separatedBy: "\n\n").compactMap { block in
        var name = "", data = ""
        for line in block.split(separator: "\n") {
            if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
            if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
        }
        guard !name.isEmpty, let json = try? JSONSerialization.jsonObject(with: Data(data.utf8), options: [.fragmentsAllowed]) else {
            return nil
        }
        return (name, json)
    }
}

/// Runs a built program (charrnn, charrnn-serve) from the build folder.
func runProgram(_ name: String, _ arguments: [String]) throws -> ProgramRun {
    try runProgram(buildFolder.appendingPathComponent(name), arguments)
}
