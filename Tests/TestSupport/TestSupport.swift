// Helpers shared by the test targets: where the repository is, and temporary files.

import Foundation

/// The repository's root folder (where Package.swift and Corpora/ are), found from this file.
public let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
    }
    return FileManager.default.currentDirectoryPath
}()

/// A file in a fresh temporary folder; the folder is removed when the value goes away.
public final class TemporaryFile {
    public let path: String

    public init(_ bytes: [UInt8], name: String = "input.txt") throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("charrnn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        path = folder.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    public convenience init(_ text: String) throws { try self.init(Array(text.utf8)) }

    deinit { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
}

/// What a program printed and how it ended.
public struct ProgramRun: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs the program at `url` with `arguments` and `input` on standard input, reading both
/// outputs while it runs (so that a large output cannot fill a pipe and stall it).
public func runProgram(_ url: URL, _ arguments: [String], input: [UInt8] = []) throws -> ProgramRun {
    let process = Process()
    process.executableURL = url
    process.arguments = arguments
    let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    nonisolated(unsafe) var out = Data(), err = Data()
    let group = DispatchGroup()
    DispatchQueue.global().async(group: group) { out = stdout.fileHandleForReading.readDataToEndOfFile() }
    DispatchQueue.global().async(group: group) { err = stderr.fileHandleForReading.readDataToEndOfFile() }
    stdin.fileHandleForWriting.write(Data(input))
    try stdin.fileHandleForWriting.close()
    group.wait()
    process.waitUntilExit()
    return ProgramRun(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                      stderr: String(decoding: err, as: UTF8.self))
}
