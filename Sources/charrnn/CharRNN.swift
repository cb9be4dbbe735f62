// The charrnn command-line tool: the only place that parses arguments or prints.

import ArgumentParser
import Tokenizer

@main
struct CharRNN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "charrnn",
        abstract: "Character-level recurrent neural networks: tokenize text, train, generate, classify.",
        discussion: """
            Text is read as UTF-8, brought to NFC and cut into Unicode grapheme clusters (or \
            words) with ICU \(icuVersions.icu) (Unicode \(icuVersions.unicode)).
            """,
        version: "0.1.0",
        subcommands: [Tokenize.self, Train.self, Generate.self, Eval.self, Info.self, TrainClassifier.self, Classify.self, TrainGenerator.self]
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
    /// For people.
    case text
    /// One JSON document.
    case json
}

extension TokenUnit: ExpressibleByArgument {}
extension CaseMapping: ExpressibleByArgument {}
