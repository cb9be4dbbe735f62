// The readers under test take a path, so each input is written to one scratch file per process,
// in /dev/shm when it exists (no disk traffic), removed at exit.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The path of this process's scratch file (`<folder>/charrnn-fuzz-<pid>-<name>`).
public let scratchPath: String = {
    var info = stat()
    let folder: String
    if stat("/dev/shm", &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, access("/dev/shm", W_OK) == 0 {
        folder = "/dev/shm"
    } else if let tmp = getenv("TMPDIR") {
        folder = String(cString: tmp)
    } else {
        folder = "/tmp"
    }
    let name = CommandLine.arguments.first.map { String($0.split(separator: "/").last ?? "fuzz") } ?? "fuzz"
    let path = "\(folder)/charrnn-fuzz-\(getpid())-\(name)"
    atexit { unlink(scratchPath) }
    return path
}()

/// Replaces the scratch file's contents with `count` bytes at `start`; returns its path.
public func writeScratch(_ start: UnsafeRawPointer, _ count: Int) -> String {
    let path = scratchPath
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else { fatalError("fuzz harness: cannot open \(path): \(String(cString: strerror(errno)))") }
    var done = 0
    while done < count {
        let n = write(descriptor, start + done, count - done)
        if n < 0 {
            if errno == EINTR { continue }
            fatalError("fuzz harness: cannot write \(path): \(String(cString: strerror(errno)))")
        }
        done += n
    }
    close(descriptor)
    return path
}

/// Replaces the scratch file's contents with `bytes`; returns its path.
public func writeScratch(_ bytes: [UInt8]) -> String {
    bytes.withUnsafeBytes { writeScratch($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, $0.count) }
}

/// Stops the run with a message libFuzzer records with the input: a broken property of the code
/// under test (not a crash of the harness).
public func violated(_ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    fatalError("fuzz property violated: \(message())", file: file, line: line)
}
