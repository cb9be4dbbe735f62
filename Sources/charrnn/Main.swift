// The charrnn command-line tool: argument parsing and output over the CharRNN library. With
// charrnn-serve (the server's program), the only code that parses arguments or prints.

import ArgumentParser
import Foundation
import CharRNN
import SafeTensors  // jsonString

@main
struct CharRNNCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "charrnn",
        abstract: "Character-level recurrent neural networks: tokenize text, train, generate, classify.",
        discussion: """
            Text is read as UTF-8, brought to NFC and cut into Unicode grapheme clusters (or \
            words) with ICU \(icuVersions.icu) (Unicode \(icuVersions.unicode)).
            """,
        version: "0.2.0",
        subcommands: [Tokenize.self, Train.self, Generate.self, Eval.self, Info.self, TrainClassifier.self, Classify.self,
                      TrainGenerator.self, VerseCheck.self, Encode.self, Serve.self,
                      TrainForecaster.self, Forecast.self]
    )

    /// Runs the command; every error is one line on standard error (see ``oneLineErrors``).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            oneLineErrors(error, of: self)
        }
    }
}

/// Ends the program for `error` the way charrnn reports bad input: help, a version or a quiet
/// exit status as ArgumentParser gives them, and anything else (a bad or missing option, a
/// refused value) as one line, "Error: …", without the usage block ArgumentParser adds, with
/// its exit status (64 for a usage error, else 1).
func oneLineErrors(_ error: any Error, of command: any ParsableCommand.Type) -> Never {
    let status = command.exitCode(for: error)
    if status == .success || error is ExitCode { command.exit(withError: error) }
    var message = command.message(for: error)
    if let end = message.firstIndex(where: \.isNewline) { message = String(message[..<end]) }
    if status.rawValue == 64 {
        // A usage error: say where the options are listed.
        let names = command.configuration.subcommands.map { $0._commandName }
        let sub = CommandLine.arguments.dropFirst().first { names.contains($0) }
        message += "; see '\(command._commandName)\(sub.map { " \($0)" } ?? "") --help'"
    }
    FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
    Foundation.exit(status.rawValue)
}

/// How a command prints its result on standard output.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    /// For people.
    case text
    /// One JSON document.
    case json
    /// One JSON document per input line.
    case jsonl
}

/// How a command that reports one result prints it.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// The recurrent cell, as the command line names it.
enum CellOption: String, ExpressibleByArgument, CaseIterable {
    case rnn, lstm, gru, tutorial

    /// The model file's name for it.
    var kind: CellKind {
        switch self {
        case .rnn: .rnnTanh
        case .lstm: .lstm
        case .gru: .gru
        case .tutorial: .tutorial
        }
    }

    init(_ kind: CellKind) { self = Self.allCases.first { $0.kind == kind }! }
}

extension TokenUnit: ExpressibleByArgument {}
extension CaseMapping: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension ClassBalance: ExpressibleByArgument {}


/// A JSON array of strings on one line.
func jsonArray(_ items: [String]) -> String {
    "[" + items.map(jsonString).joined(separator: ",") + "]"
}
