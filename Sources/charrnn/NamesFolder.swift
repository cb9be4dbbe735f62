// MARK: - Name folders: <Category>.txt files of one name per line

import Foundation
import Model
import Tokenizer
import Training

/// A folder of names by category, read as DESIGN.md says: each `<Category>.txt` is a category
/// (categories in code-point order of the file stems), one name per line, lines trimmed, blank
/// lines skipped, NFC applied, other files ignored. A name listed twice in a category counts
/// once; a name listed under several categories is one name with all of them.
struct NamesFolder {
    var categories: [String]
    /// Each distinct name (as normalized text) with its letters and categories.
    var names: [(text: String, letters: [String], categories: [Int32])]

    init(path: String, unit: TokenUnit = .grapheme, caseMapping: CaseMapping) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CommandError("\(path): not a folder; give a folder of <Category>.txt files, one name per line")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".txt") }
            .sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
        guard !files.isEmpty else { throw CommandError("\(path): no .txt files; each category is a <Category>.txt file") }
        categories = files.map { String($0.dropLast(4)) }
        let tokenizer = try Tokenizer(unit: unit, caseMapping: caseMapping)
        var index: [String: Int] = [:]
        var names: [(text: String, letters: [String], categories: [Int32])] = []
        for (category, file) in files.enumerated() {
            let text = try TextSource(path: path + "/" + file).readAll()
            for line in text.split(whereSeparator: \.isNewline) {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard !trimmed.isEmpty else { continue }
                let normalized = try tokenizer.normalize(trimmed)
                if let i = index[normalized] {
                    if !names[i].categories.contains(Int32(category)) { names[i].categories.append(Int32(category)) }
                } else {
                    index[normalized] = names.count
                    names.append((normalized, try tokenizer.tokens(normalized), [Int32(category)]))
                }
            }
        }
        guard !names.isEmpty else { throw CommandError("\(path): the .txt files hold no names") }
        self.names = names
    }

    /// Letter counts over all names.
    var letterCounts: TokenCounts {
        var counts = TokenCounts()
        for name in names { for letter in name.letters { counts.add(letter) } }
        return counts
    }

    /// The names as id sequences with their categories, under a vocabulary (letters it lacks
    /// become its unknown token).
    func encoded(with vocabulary: Vocabulary) -> LabeledSequences {
        let unknown = vocabulary.unknownToken ?? 0
        return LabeledSequences(
            sequences: names.map { $0.letters.map { Int32(vocabulary.id(of: $0) ?? unknown) } },
            labels: names.map(\.categories), categoryCount: categories.count)
    }
}
