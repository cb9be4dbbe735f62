// The shipped names classifier on names as people type them: the list of common surnames in
// CommonSurnames/ (see its README.md for the sources and the scoring rule), and names with
// particles and punctuation.

import Foundation
import Testing
import TestSupport

@Suite("Common surnames")
struct CommonSurnameTests {
    static let model = packageRoot + "/Models/names-classifier.safetensors"

    /// Each name's predicted categories, most probable first, from `charrnn classify --format json`.
    static func classify(_ names: [String]) throws -> [[String]] {
        let run = try charrnn(["classify", "--model", model, "--format", "json", "--top", "17", "--"] + names)
        #expect(run.status == 0, "\(run.stderr)")
        let items = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
        #expect(items.count == names.count)
        return items.map { (($0["predictions"] as? [[String: Any]]) ?? []).compactMap { $0["category"] as? String } }
    }

    /// The languages `Corpora/names` lists each spelling under.
    static func corpusLanguages() throws -> [String: Set<String>] {
        let folder = packageRoot + "/Corpora/names"
        var listed: [String: Set<String>] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: folder) where file.hasSuffix(".txt") {
            let language = String(file.dropLast(4))
            for line in try String(contentsOfFile: folder + "/" + file, encoding: .utf8).split(separator: "\n") {
                listed[String(line), default: []].insert(language)
            }
        }
        return listed
    }

    @Test func atLeastNinetyPercentOfCommonSurnames() throws {
        let path = packageRoot + "/Tests/CLITests/CommonSurnames/surnames.tsv"
        let rows = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            .filter { !$0.hasPrefix("#") }.map { $0.split(separator: "\t").map(String.init) }
        #expect(rows.allSatisfy { $0.count == 3 && ["typed", "native"].contains($0[2]) })
        let languages = Set(rows.map { $0[1] })
        #expect(languages.count == 17)
        for language in languages {
            let typed = rows.filter { $0[1] == language && $0[2] == "typed" }.count
            #expect(typed >= 8, "\(language): \(typed) typed surnames")
        }
        let listed = try Self.corpusLanguages()
        let answers = try Self.classify(rows.map { $0[0] })
        var right = 0, strict = 0
        var wrong: [String] = []
        for (row, answer) in zip(rows, answers) {
            let top = answer.first ?? ""
            if top == row[1] || listed[row[0], default: []].contains(top) { right += 1 } else { wrong.append("\(row[0]) (\(row[1])): \(top)") }
            if top == row[1] { strict += 1 }
        }
        let accuracy = Double(right) / Double(rows.count)
        print("common surnames: \(right)/\(rows.count) right (\(strict) the listed language); wrong: \(wrong.joined(separator: ", "))")
        #expect(accuracy >= 0.9, "\(right)/\(rows.count); wrong: \(wrong.joined(separator: ", "))")
    }

    @Test func particlesAndPunctuationAreReadAsTheCorpusWritesThem() throws {
        // Typed variants get exactly the answer of the corpus's spelling.
        let pairs = [("O’Brien", "O'Brien"), ("  van  den   Berg ", "van den Berg"), ("Jean – Pierre", "Jean-Pierre"),
                     ("al - Rashid", "al-Rashid"), ("Ó Briain.", "Ó Briain"), ("(Schmidt)", "Schmidt")]
        let run = try charrnn(["classify", "--model", Self.model, "--format", "json", "--top", "17", "--"]
                              + pairs.flatMap { [$0.0, $0.1] })
        #expect(run.status == 0, "\(run.stderr)")
        let items = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
        #expect(items.count == 2 * pairs.count)
        for (index, pair) in pairs.enumerated() {
            let typed = items[2 * index], written = items[2 * index + 1]
            #expect(typed["input"] as? String == pair.0, "the answer keeps the name as given")
            let a = try #require(typed["predictions"] as? [[String: Any]]), b = try #require(written["predictions"] as? [[String: Any]])
            #expect(a.map { $0["category"] as? String } == b.map { $0["category"] as? String }, "\(pair)")
            #expect(zip(a, b).allSatisfy { ($0["probability"] as? Double) == ($1["probability"] as? Double) }, "\(pair)")
        }
        // The corpus's own spellings, particles included, are read as a language that lists them
        // (Jean-Pierre is in faker's Dutch and German lists, not its French one).
        let listed = try Self.corpusLanguages()
        let names = ["van den Berg", "Ó Briain", "Jean-Pierre", "O'Brien", "Mac Giolla Phádraig"]
        for (name, answer) in zip(names, try Self.classify(names)) {
            #expect(!listed[name, default: []].isEmpty, "\(name) is in Corpora/names")
            #expect(listed[name, default: []].contains(answer.first ?? ""), "\(name): \(answer.prefix(3))")
        }
        // Punctuation alone is no name.
        let empty = try charrnn(["classify", "--model", Self.model, "--", "..."])
        #expect(empty.status == 1 && empty.stderr.contains("empty name"), "\(empty.stderr)")
    }
}
