// charrnn-serve: the HTTP server and web page (`charrnn serve` runs this program). Parses the
// options, loads the models, serves until SIGTERM or Ctrl-C.

import ArgumentParser
import CharRNN
import Foundation
import Server

@main
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "charrnn serve",
        abstract: "Serve models over HTTP: a JSON API and a web page for generating and classifying.",
        discussion: """
            Each --model is served under its file name without .safetensors (Models/tang.safetensors \
            as "tang"); a request can name only these. Open the printed address in a browser for \
            the page. The API: GET /api/models, POST /api/generate (the options of charrnn generate, \
            with _ for -; Accept: text/event-stream streams the text), POST /api/classify \
            {"model", "names", "top"}, GET /healthz. Ctrl-C or SIGTERM stops it.
            """)

    @Option(help: "A model to serve (.safetensors); repeat for several.")
    var model: [String] = []

    @Option(help: "The address to listen on (0.0.0.0: every interface).")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0: a free one).")
    var port = 8080

    @Option(name: .customLong("max-concurrent"), help: "Requests that run at once (default: the cores).")
    var maxConcurrent = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Requests that may wait for a free worker; more are answered 503.")
    var queue = ServerConfiguration(models: []).queue

    @Option(name: .customLong("max-length"), help: "The most letters a generate request may ask for.")
    var maxLength = ServerConfiguration(models: []).maxLength

    @Option(name: .customLong("max-samples"), help: "The most samples a generate request may ask for.")
    var maxSamples = ServerConfiguration(models: []).maxSamples

    @Option(name: .customLong("max-names"), help: "The most names a classify request may send.")
    var maxNames = ServerConfiguration(models: []).maxNames

    @Option(name: .customLong("max-body"), help: "The largest request body in bytes; larger ones are answered 413.")
    var maxBody = ServerConfiguration(models: []).maxBody

    @Option(name: .customLong("cors-origin"), help: "Let pages from this origin call the API (* for any); default: none.")
    var corsOrigin: String?

    var settings: ServerConfiguration {
        var c = ServerConfiguration(models: model)
        (c.host, c.port, c.maxConcurrent, c.queue) = (host, port, maxConcurrent, queue)
        (c.maxLength, c.maxSamples, c.maxNames, c.maxBody, c.corsOrigin) = (maxLength, maxSamples, maxNames, maxBody, corsOrigin)
        return c
    }

    func validate() throws { try settings.validate() }

    /// Runs the server; a bad option is one line on standard error, by the rule of charrnn's
    /// `oneLineErrors` (Sources/charrnn/Main.swift; the two programs share no code but the library).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if let server = command as? Serve { try await server.run() } else { try command.run() }
        } catch {
            let status = exitCode(for: error)
            if status == .success || error is ExitCode { exit(withError: error) }
            var message = message(for: error)
            if let end = message.firstIndex(where: \.isNewline) { message = String(message[..<end]) }
            if status.rawValue == 64 { message += "; see 'charrnn serve --help'" }
            FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
            Foundation.exit(status.rawValue)
        }
    }

    func run() async throws {
        let server = try CharRNNServer(settings)
        let names = server.modelNames.joined(separator: ", ")
        do {
            try await server.run { url in
                FileHandle.standardError.write(Data("charrnn serve: \(names) at \(url)\n".utf8))
            }
        } catch {
            throw CharRNNError("cannot serve on \(host):\(port): \(error)")
        }
        FileHandle.standardError.write(Data("charrnn serve: stopped\n".utf8))
    }
}
