// The charrnn command-line tool: argument parsing and output over the CharRNN library. With
// charrnn-serve (the server's program), the only code that parses arguments or prints.

import ArgumentParser
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
                      TrainGenerator.self, VerseCheck.self, Encode.self, Serve.self]
    )
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
    case rnn, lstm, gru

    /// The model file's name for it.
    var kind: CellKind {
        switch self {
        case .rnn: .rnnTanh
        case .lstm: .lstm
        case .gru: .gru
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
