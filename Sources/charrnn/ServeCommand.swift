// MARK: - charrnn serve: replaced by the charrnn-serve program beside this one

import ArgumentParser
import CharRNN
import Foundation

#if canImport(Glibc)
import Glibc
#endif

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve models over HTTP: a JSON API and a web page (runs charrnn-serve).",
        discussion: """
            The server is a program of its own, charrnn-serve, built beside charrnn (swift build \
            -c release builds both), so that the command-line tool does not carry the HTTP stack. \
            This command replaces itself with it, passing every argument on: charrnn serve --model \
            Models/tang.safetensors. See charrnn serve --help for its options.
            """)

    @Argument(parsing: .captureForPassthrough, help: "The options of charrnn-serve (--model PATH …, --port, --host, …).")
    var arguments: [String] = []

    func run() throws {
        let folder = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let server = folder.appendingPathComponent("charrnn-serve").path
        guard FileManager.default.isExecutableFile(atPath: server) else {
            throw CharRNNError("charrnn serve needs charrnn-serve beside charrnn, in \(folder.path): "
                + "build it with swift build -c release --product charrnn-serve")
        }
        // exec: the same process becomes the server, so Ctrl-C and SIGTERM reach it directly.
        let argv = ([server] + arguments).map { strdup($0) } + [nil]
        execv(server, argv)
        throw CharRNNError("cannot run \(server): \(String(cString: strerror(errno)))")
    }
}
