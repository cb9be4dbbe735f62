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
