// MARK: - charrnn verse

import ArgumentParser
import CharRNN
import Foundation

struct VerseCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verse",
        abstract: "Check Chinese poems against the rules of regulated verse (格律): tones, rhyme, pattern.",
        discussion: """
            Poems are separated by blank lines; a poem's verses end at ，。？！；： or a line break. \
            For each poem of couplets of 5 or 7 Han characters: each character's tone (平 level, 仄 \
            oblique, 中 either) and the rhyme group (中华新韵) of each verse's last character, the \
            standard pattern it is closest to, and the rules each verse breaks: 1 couplet ends \
            level and rhyming, 2 couplets' first verses end oblique (the poem's first may rhyme \
            instead), 3 2nd/4th(/6th) characters alternate, 4 对, 5 粘, 6 no three level characters \
            at the end. Tones are read from Mandarin, with the entering tone (入声) restored from \
            Cantonese: a modern-reading approximation of the classical 平水韵 rules. The last line \
            counts the poems that keep each rule.
            """
    )

    @Argument(help: "The poems (UTF-8); - or nothing reads standard input.")
    var file: String = "-"

    @Flag(name: .customLong("summary-only"), help: "Print only the summary line (text) or the summary (json).")
    var summaryOnly = false

    @Flag(name: .customLong("no-entering-tone"), help: "Read tones from Mandarin alone (to measure what the entering tone changes).")
    var noEnteringTone = false

    @Flag(help: "Read invalid UTF-8 as U+FFFD instead of stopping.")
    var lossy = false

    @Option(help: "Output: text or json (one document).")
    var format: ReportFormat = .text

    func run() throws {
        let text = try TextSource(path: file, lossy: lossy).readAll()
        var summary = VerseSummary()
        var reports: [VersePoemReport] = []
        var out = OutputStream.standardOutput()
        for (i, poem) in splitPoems(text).enumerated() {
            let result = Result { () throws(VerseError) in try checkVerse(poem, enteringRule: !noEnteringTone) }
            summary.add(try? result.get())
            guard !summaryOnly else { continue }
            switch format {
            case .json:
                reports.append(VersePoemReport(poem: i + 1, result))
            case .text:
                out.append(describe(poem: i + 1, result))
                out.flush()
            }
        }
        switch format {
        case .json:
            printJSON(VerseDocument(poems: summaryOnly ? nil : reports, summary: summary))
        case .text:
            out.append(describe(summary))
            out.flush()
        }
    }

    private func describe(poem: Int, _ result: Result<VerseAnalysis, VerseError>) -> String {
        switch result {
        case .failure(let error):
            return "poem \(poem): not checked: \(error)\n\n"
        case .success(let a):
            let n = a.charactersPerVerse
            var lines = ["poem \(poem) (\(n) characters, \(a.verses.count) verses): "
                + (a.passes ? "keeps every rule" : "breaks " + a.brokenRules.map { String($0.rawValue) }.joined(separator: ", "))
                + "; closest pattern \(a.closestPattern.fullName) (\(a.patternMismatches) mismatch\(a.patternMismatches == 1 ? "" : "es"))"
                + "; rhyme \(a.rhyme.names)"]
            for (v, verse) in a.verses.enumerated() {
                let chart = a.closestPattern.slots(verse: v, charactersPerVerse: n).map(\.symbol).joined()
                var line = "  " + verse.characters.joined() + "  " + verse.tones.map(\.symbol).joined()
                    + "  (" + chart + ")  " + "rhyme " + verse.groups[n - 1].names
                if !verse.broken.isEmpty {
                    line += "  breaks " + verse.broken.map { "\($0.rawValue) (\($0.summary))" }.joined(separator: ", ")
                }
                lines.append(line)
            }
            return lines.joined(separator: "\n") + "\n\n"
        }
    }

    private func describe(_ s: VerseSummary) -> String {
        func share(_ k: Int) -> String { s.checked == 0 ? "-" : String(format: "%.1f%%", 100 * Double(k) / Double(s.checked)) }
        let rules = VerseRule.allCases.map { "\($0.rawValue): \(share(s.keeping[$0.rawValue - 1]))" }.joined(separator: ", ")
        return "\(grouped(s.poems)) poem\(s.poems == 1 ? "" : "s"), \(grouped(s.checked)) checked (\(grouped(s.skipped)) not couplets of 5 or 7 Han characters); "
            + "\(grouped(s.passing)) (\(share(s.passing))) keep every rule; keeping each rule: \(rules)\n"
    }
}
