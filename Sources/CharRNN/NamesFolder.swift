// MARK: - Name folders: <Category>.txt files of one name per line

import Foundation

/// A folder of names by category: each `<Category>.txt` is a category (categories in code-point
/// order of the file stems), one name per line, lines trimmed, blank lines skipped, NFC applied,
/// other files ignored. A name listed twice in a category counts
/// once; a name listed under several categories is one name with all of them. Spellings that
/// differ only in diacritics and case ("Nguyễn", "Nguyen") stay distinct names but share a
/// spelling group, which the training/held-out split keeps together.
public struct NamesFolder: Sendable {
    /// The folder it was read from.
    public var path: String
    /// The category names (the file stems), in code-point order.
    public var categories: [String]
    /// Each distinct name (as normalized text) with its letters and categories (indices into
    /// ``categories``), in order of first appearance.
    public var names: [(text: String, letters: [String], categories: [Int32])]
    /// The spelling group of each name: names are in one group when `foldDiacriticsAndCase` makes
    /// them equal. Groups are numbered in order of their first name.
    public var spellingGroups: [Int]

    /// Reads the folder at `path`, normalizing names with `unit` and `caseMapping`.
    ///
    /// - Parameters:
    ///   - path: a folder of `<Category>.txt` files, UTF-8, one name per line.
    ///   - unit: what a letter is: a grapheme cluster (the usual) or an ICU word.
    ///   - caseMapping: keep the case (name generators) or lowercase the names (classifiers).
    ///   - lossy: read invalid UTF-8 as U+FFFD instead of stopping.
    /// - Throws: ``CharRNNError`` when `path` is not a folder, has no `.txt` files, or they hold
    ///   no names; ``TextInputError`` when a file cannot be read or is not UTF-8; ``ICUError`` when
    ///   ICU fails on a name.
    public init(path: String, unit: TokenUnit = .grapheme, caseMapping: CaseMapping, lossy: Bool = false) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CharRNNError("\(path): not a folder; give a folder of <Category>.txt files, one name per line")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".txt") }
            .sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
        guard !files.isEmpty else { throw CharRNNError("\(path): no .txt files; each category is a <Category>.txt file") }
        self.path = path
        categories = files.map { String($0.dropLast(4)) }
        let tokenizer = try Tokenizer(unit: unit, caseMapping: caseMapping)
        var index: [String: Int] = [:]
        var names: [(text: String, letters: [String], categories: [Int32])] = []
        for (category, file) in files.enumerated() {
            let text = try TextSource(path: path + "/" + file, lossy: lossy).readAll()
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
        guard !names.isEmpty else { throw CharRNNError("\(path): the .txt files hold no names") }
        self.names = names
        var groupOfKey: [String: Int] = [:]
        spellingGroups = try names.map { name in
            let key = try foldDiacriticsAndCase(name.text)
            if let group = groupOfKey[key] { return group }
            groupOfKey[key] = groupOfKey.count
            return groupOfKey.count - 1
        }
    }

    /// Letter counts over all names.
    public var letterCounts: TokenCounts {
        var counts = TokenCounts()
        for name in names { for letter in name.letters { counts.add(letter) } }
        return counts
    }

    /// The names as id sequences with their categories, under a vocabulary (letters it lacks
    /// become its unknown token).
    ///
    /// - Parameter vocabulary: the letters' ids; a letter it lacks becomes its unknown token, or
    ///   id 0 when it has none.
    /// - Returns: one sequence per name of ``names``, in the same order, with its categories.
    public func encoded(with vocabulary: Vocabulary) -> LabeledSequences {
        let unknown = vocabulary.unknownToken ?? 0
        return LabeledSequences(
            sequences: names.map { $0.letters.map { Int32(vocabulary.id(of: $0) ?? unknown) } },
            labels: names.map(\.categories), categoryCount: categories.count)
    }

    /// The stratified, seeded split of `names` (this folder's names, encoded) that every name
    /// command uses: the spellings of a group go to the same part.
    ///
    /// - Parameters:
    ///   - names: this folder's names, from ``encoded(with:)``.
    ///   - fraction: the share of each category's names to hold out; a category of two names
    ///     or more holds out at least one.
    ///   - seed: the seed of the shuffle; the same seed gives the same split.
    /// - Returns: the indices into `names` of the names trained on and of those held out,
    ///   ascending.
    public func split(_ names: LabeledSequences, heldOut fraction: Double, seed: UInt64) -> (train: [Int], heldOut: [Int]) {
        names.stratifiedSplit(heldOut: fraction, seed: seed, groups: spellingGroups)
    }
}
