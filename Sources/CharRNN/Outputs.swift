// MARK: - Outputs that cannot destroy inputs, and one writer per output

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file that a run will write, and the option that named it (for the error message).
public struct OutputFile: Sendable {
    public var path: String
    public var option: String
    public init(_ path: String, option: String) {
        self.path = path
        self.option = option
    }
}

/// Refuses outputs that would overwrite an input, a device or each other: every output must be a
/// regular file or a new path, must not be one of `inputs` (compared by device and inode, so
/// another spelling or a hard link of the same file is caught), must not lie directly in one of
/// `inputFolders` (a names folder, where it would become a category), and no two outputs may
/// be the same file.
///
/// - Throws: ``CharRNNError`` naming the option and what it would have overwritten.
public func checkOutputs(_ outputs: [OutputFile], inputs: [(path: String, option: String)] = [],
                         inputFolders: [(path: String, option: String)] = []) throws
{
    let inputIDs = inputs.compactMap { input in FileID(path: input.path).map { ($0, input) } }
    let folderIDs = inputFolders.compactMap { folder in FileID(path: folder.path).map { ($0, folder) } }
    var seen: [(key: OutputKey, output: OutputFile)] = []
    for output in outputs {
        var info = stat()
        if stat(output.path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFREG else {
                throw CharRNNError("\(output.option) \(output.path) is not a regular file; give the path of a file to write")
            }
        }
        if let id = FileID(path: output.path), let input = inputIDs.first(where: { $0.0 == id }) {
            throw CharRNNError("\(output.option) \(output.path) is \(input.1.option) \(input.1.path): writing it would destroy "
                + "the input; give another path")
        }
        let key = OutputKey(path: output.path)
        if let parent = key?.parent, let folder = folderIDs.first(where: { $0.0 == parent }) {
            throw CharRNNError("\(output.option) \(output.path) is inside \(folder.1.option) \(folder.1.path), whose files are "
                + "read as categories; write it elsewhere")
        }
        if let key, let other = seen.first(where: { $0.key == key }) {
            throw CharRNNError("\(output.option) and \(other.output.option) are the same file (\(output.path)); give each its own path")
        }
        if let key { seen.append((key, output)) }
    }
}

/// A file's identity: its device and inode.
struct FileID: Equatable {
    var device: UInt64, inode: UInt64
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}

/// Where a path, existing or not, would be written: its folder's identity and its name (or, for
/// an existing file, the file's own identity, which catches hard links).
struct OutputKey: Equatable {
    var parent: FileID?
    var name: String
    var file: FileID?

    init?(path: String) {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { path[..<$0].isEmpty ? "/" : String(path[..<$0]) } ?? "."
        name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        parent = FileID(path: folder)
        file = FileID(path: path)
        if parent == nil && file == nil { return nil }
    }

    static func == (a: OutputKey, b: OutputKey) -> Bool {
        if let x = a.file, let y = b.file { return x == y }
        return a.parent != nil && a.parent == b.parent && a.name == b.name
    }
}

/// An advisory lock that a training run holds on its output for its whole life, so that a
/// second run writing the same model refuses at once instead of overwriting it. The lock is
/// `fcntl`'s on `<out>.lock` (it dies with the process, so a killed run leaves none behind);
/// the file holds the owner's pid and is removed on release.
public final class OutputLock {
    public let path: String
    private var descriptor: Int32

    /// Takes the lock of `out`.
    ///
    /// - Throws: ``CharRNNError`` naming the process that holds it, or why it cannot be taken.
    public init(for out: String) throws {
        path = out + ".lock"
        while true {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw CharRNNError("\(path): cannot create the lock file beside the model (\(String(cString: strerror(errno))))")
            }
            var lock = flock()
            lock.l_type = Int16(F_WRLCK)
            lock.l_whence = Int16(SEEK_SET)
            if fcntl(fd, F_SETLK, &lock) != 0 {
                var holder = flock()
                holder.l_type = Int16(F_WRLCK)
                holder.l_whence = Int16(SEEK_SET)
                let pid = fcntl(fd, F_GETLK, &holder) == 0 && holder.l_type != Int16(F_UNLCK) ? " (pid \(holder.l_pid))" : ""
                close(fd)
                throw CharRNNError("another charrnn run\(pid) is writing \(out); wait for it to end, or give another path")
            }
            // The file may have been removed by its last owner between open and lock: lock the
            // file that is at the path now.
            var held = stat(), current = stat()
            if fstat(fd, &held) == 0, stat(path, &current) == 0, held.st_ino == current.st_ino, held.st_dev == current.st_dev {
                descriptor = fd
                break
            }
            close(fd)
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = pid.withCString { write(descriptor, $0, strlen($0)) }
    }

    /// Releases the lock and removes its file.
    public func release() {
        guard descriptor >= 0 else { return }
        unlink(path)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
