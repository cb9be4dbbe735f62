// MARK: - charrnn tokenize

import ArgumentParser
import Foundation
import CharRNN

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Split text into the tokens a model sees, or count them.",
        discussion: """
            Text is read as UTF-8 (a leading byte order mark is dropped), brought to NFC, and cut \
            into extended grapheme clusters (--unit grapheme) or into ICU words in the root \
            locale (--unit word: dictionary words for Chinese, and every space or punctuation \
            run between them), so that the tokens of a line concatenate back to the line.

            --format text prints the tokens of each input line separated by spaces, with \
            whitespace tokens shown as ␠ (space), ␉ (tab), \\n, \\r or \\u{…}; jsonl prints each line's \
            tokens as a JSON array, without the line terminator; json prints one array of those \
            arrays. --stats counts instead: characters, tokens, distinct tokens, the most \
            frequent ones, and how much of the text a vocabulary of the top N tokens covers.
            """
    )

    @Argument(help: "The UTF-8 text to read; - or nothing reads standard input.")
    var file: String = "-"

    @Option(help: "What a token is: grapheme (a user-perceived character) or word.")
    var unit: TokenUnit = .grapheme

    @Option(name: .customLong("case"), help: "Keep letter case (preserve) or lowercase first (lower).")
    var caseMapping: CaseMapping = .preserve

    @Option(help: "Output: text, json (one document) or jsonl (one array per input line).")
    var format: OutputFormat = .text

    @Flag(help: "Print counts and vocabulary coverage instead of the tokens.")
    var stats = false

    @Option(help: "With --stats: how many of the most frequent tokens to list.")
    var top = 20

    @Flag(help: "Replace invalid UTF-8 with U+FFFD (and say how many) instead of stopping.")
    var lossy = false

    func validate() throws {
        if stats && format == .jsonl {
            throw CharRNNError("--stats prints text or json; --format jsonl is for tokens")
        }
        if top < 0 { throw CharRNNError("--top must be 0 or more") }
    }

    func run() throws {
        let source = try TextSource(path: file, lossy: lossy)
        let tokenizer = try Tokenizer(unit: unit, caseMapping: caseMapping)
        if stats {
            try printStatistics(source: source, tokenizer: tokenizer)
        } else {
            try printTokens(source: source, tokenizer: tokenizer)
        }
        if source.replacements > 0 {
            printNote("\(source.name): replaced \(source.replacements) invalid UTF-8 sequence(s) with U+FFFD")
        }
    }

    // MARK: Tokens

    private func printTokens(source: TextSource, tokenizer: Tokenizer) throws {
        var out = OutputStream.standardOutput()
        var first = true
        if format == .json { out.append("[") }
        while let chunk = try source.next() {
            for line in lines(of: chunk.text) {
                let tokens = try tokenizer.tokens(String(line))
                switch format {
                case .text:
                    out.append(tokens.map(visible).joined(separator: " ") + "\n")
                case .jsonl:
                    out.append(jsonArray(tokens) + "\n")
                case .json:
                    out.append((first ? "" : ",\n") + jsonArray(tokens))
                }
                first = false
            }
        }
        if format == .json { out.append("]\n") }
        out.flush()
    }

    /// The lines of a chunk without their terminators (LF or CR LF).
    private func lines(of text: String) -> [Substring] {
        var pieces = text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map { Substring($0) }
        if text.utf8.last == 0x0A { pieces.removeLast() }
        return pieces.map { $0.utf8.last == 0x0D ? Substring($0.utf8.dropLast()) : $0 }
    }

    /// A token as `--format text` shows it: whitespace and control characters made visible.
    private func visible(_ token: String) -> String {
        let invisible = token.unicodeScalars.allSatisfy {
            $0.properties.isWhitespace || $0.properties.generalCategory == .control
        }
        guard invisible else { return token }
        return token.unicodeScalars.map { scalar -> String in
            switch scalar {
            case " ": return "␠"
            case "\t": return "␉"
            case "\n": return "\\n"
            case "\r": return "\\r"
            default: return "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
        }.joined()
    }

    // MARK: Statistics

    struct Statistics: Codable {
        struct Entry: Codable {
            var token: String
            var count: Int
            var share: Double
        }
        struct Coverage: Codable {
            var vocabulary: Int
            var share: Double
        }
        var file: String
        var unit: TokenUnit
        var bytes: Int
        var lines: Int
        var characters: Int
        var tokens: Int
        var distinct: Int
        var top: [Entry]
        var coverage: [Coverage]
        var vocabularyFor99: Int
        var vocabularyFor999: Int
        var replacements: Int

        enum CodingKeys: String, CodingKey {
            case file, unit, bytes, lines, characters, tokens, distinct, top, coverage, replacements
            case vocabularyFor99 = "vocabulary_for_99_percent"
            case vocabularyFor999 = "vocabulary_for_99_9_percent"
        }
    }

    private func printStatistics(source: TextSource, tokenizer: Tokenizer) throws {
        var counts = TokenCounts()
        var characters = 0
        var lineCount = 0
        var endsWithNewline = true
        let graphemes = unit == .grapheme ? nil : try Tokenizer(unit: .grapheme, caseMapping: caseMapping)
        while let chunk = try source.next() {
            try tokenizer.forEachToken(in: chunk.text) { counts.add($0) }
            if let graphemes {
                try graphemes.forEachToken(in: chunk.text) { _ in characters += 1 }
            }
            lineCount += chunk.text.utf8.count { $0 == 0x0A }
            endsWithNewline = chunk.text.utf8.last == 0x0A
        }
        if !endsWithNewline { lineCount += 1 }
        if graphemes == nil { characters = counts.total }

        let sorted = counts.sorted
        let share = { (n: Int) in counts.total == 0 ? 0 : Double(n) / Double(counts.total) }
        let sizes = [100, 200, 500, 1000, 2000, 5000, 10000, 20000].filter { $0 < counts.distinct } + [counts.distinct]
        let statistics = Statistics(
            file: source.name, unit: unit, bytes: source.bytesRead, lines: lineCount,
            characters: characters, tokens: counts.total, distinct: counts.distinct,
            top: sorted.prefix(top).map { .init(token: $0.token, count: $0.count, share: share($0.count)) },
            coverage: sizes.map { .init(vocabulary: $0, share: counts.coverage(top: $0)) },
            vocabularyFor99: counts.tokensNeeded(toCover: 0.99),
            vocabularyFor999: counts.tokensNeeded(toCover: 0.999),
            replacements: source.replacements)

        var out = OutputStream.standardOutput()
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            out.append(String(decoding: try encoder.encode(statistics), as: UTF8.self) + "\n")
        case .text, .jsonl:
            out.append(describe(statistics))
        }
        out.flush()
    }

    private func describe(_ s: Statistics) -> String {
        let number = grouped
        func percent(_ x: Double) -> String { String(format: "%.2f%%", 100 * x) }
        var text = """
            file         \(s.file)
            unit         \(s.unit.rawValue)
            bytes        \(number(s.bytes))
            lines        \(number(s.lines))
            characters   \(number(s.characters)) (grapheme clusters, after NFC)
            tokens       \(number(s.tokens))
            distinct     \(number(s.distinct))

            """
        if !s.top.isEmpty {
            text += "\nmost frequent tokens:\n"
            for (rank, entry) in s.top.enumerated() {
                text += String(format: "%5d  ", rank + 1) + visible(entry.token).padding(toLength: 8)
                    + number(entry.count).leftPadding(toLength: 12) + "  " + percent(entry.share) + "\n"
            }
        }
        text += "\nshare of tokens covered by a vocabulary of the N most frequent:\n"
        for c in s.coverage {
            text += number(c.vocabulary).leftPadding(toLength: 8) + "  " + percent(c.share) + "\n"
        }
        text += "\n99% of tokens need \(number(s.vocabularyFor99)) distinct tokens; "
            + "99.9% need \(number(s.vocabularyFor999)).\n"
        return text
    }
}

extension String {
    /// Pads with spaces on the right to `length` terminal columns (East Asian wide characters
    /// count two).
    fileprivate func padding(toLength length: Int) -> String {
        let width = terminalColumns(of: self)
        return width >= length ? self : self + String(repeating: " ", count: length - width)
    }

    fileprivate func leftPadding(toLength length: Int) -> String {
        count >= length ? self : String(repeating: " ", count: length - count) + self
    }
}
