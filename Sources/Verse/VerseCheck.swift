// The checker: a poem's tones and rhymes, the six rules each verse keeps or breaks, and the
// standard pattern it is closest to.

/// Why a text cannot be checked as regulated verse; each `description` is one line.
public enum VerseError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The poem has no verses.
    case empty
    /// Verse `verse` (from 1) has `count` characters where the poem's verses have 5 or 7.
    case verseLength(verse: Int, count: Int, expected: Int)
    /// An odd number of verses: regulated verse is made of couplets.
    case oddVerseCount(Int)
    /// A verse holds something other than Han characters.
    case notHan(verse: Int, character: String)

    public var description: String {
        switch self {
        case .empty: "the poem has no verses"
        case .verseLength(let verse, let count, let expected):
            "verse \(verse) has \(count) characters; regulated verse has \(expected == 0 ? "5 or 7" : String(expected)) in every verse"
        case .oddVerseCount(let count): "the poem has \(count) verses; regulated verse is made of couplets (an even number)"
        case .notHan(let verse, let character): "verse \(verse) has \(character.debugDescription), which is not a Han character"
        }
    }
}

/// The six rules, by number (the numbers of issue 15 and the docs).
public enum VerseRule: Int, Sendable, CaseIterable, Codable {
    /// 1: every couplet's last character is level, and all of them rhyme.
    case rhyme = 1
    /// 2: every couplet's first verse ends oblique, except that the poem's first verse may instead
    /// end level and rhyme with the others.
    case firstVerseEnd = 2
    /// 3: within a verse the 2nd and 4th characters differ in tone (7 characters: also the 4th and 6th).
    case alternation = 3
    /// 4: 对: within a couplet the two verses' 2nd characters differ in tone.
    case opposition = 4
    /// 5: 粘: a couplet's first verse has the 2nd-character tone of the previous couplet's second verse.
    case adhesion = 5
    /// 6: no verse ends in three level characters (三平尾).
    case threeLevelEnd = 6

    /// A few words on the rule, for reports.
    public var summary: String {
        switch self {
        case .rhyme: "couplet ends level and rhyming"
        case .firstVerseEnd: "first verse of a couplet ends oblique (or the poem's first rhymes)"
        case .alternation: "2nd/4th(/6th) characters alternate"
        case .opposition: "对: 2nd characters of a couplet differ"
        case .adhesion: "粘: 2nd character follows the previous verse"
        case .threeLevelEnd: "no 三平尾"
        }
    }
}

/// One verse as the checker reads it.
public struct VerseLine: Sendable, Equatable, Codable {
    /// The verse's characters.
    public var characters: [String]
    /// Each character's tone class.
    public var tones: [Tone]
    /// Each character's rhyme groups (empty: none known).
    public var groups: [RhymeGroups]
    /// The rules this verse breaks, in increasing order.
    public var broken: [VerseRule]
}

/// A poem checked against the six rules of regulated verse: ``checkVerse(_:enteringRule:)``.
public struct VerseAnalysis: Sendable, Equatable, Codable {
    /// Characters per verse: 5 or 7.
    public var charactersPerVerse: Int
    /// The verses, in order (two per couplet).
    public var verses: [VerseLine]
    /// The rhyme groups common to every couplet's last character (empty: they do not rhyme; when
    /// none of them has a group, all 14).
    public var rhyme: RhymeGroups
    /// The standard pattern with the fewest positions whose tone contradicts it (ties: the first
    /// of ``VersePattern/all``).
    public var closestPattern: VersePattern
    /// How many positions contradict ``closestPattern`` (a level character where it asks for an
    /// oblique one, or the reverse).
    public var patternMismatches: Int

    /// Whether the poem keeps all six rules.
    public var passes: Bool { verses.allSatisfy(\.broken.isEmpty) }

    /// The rules some verse breaks, in increasing order.
    public var brokenRules: [VerseRule] { VerseRule.allCases.filter { rule in verses.contains { $0.broken.contains(rule) } } }
}

/// Cuts a poem into verses: at the punctuation that ends a verse (，。？！；：、 and their ASCII
/// forms) and at line breaks; spaces are dropped.
public func splitVerses(_ poem: String) -> [String] {
    let ends: Set<Character> = ["，", "。", "？", "！", "；", "：", "、", ",", ".", "?", "!", ";", ":", "\n"]
    return poem.split(whereSeparator: { ends.contains($0) })
        .map { (piece: Substring) -> String in String(piece.filter { !$0.isWhitespace }) }
        .filter { !$0.isEmpty }
}

/// Checks a poem against the six rules of regulated verse (a modern-reading approximation of
/// the classical 平水韵 rules: see the module's notes).
///
/// For a poem of couplets, each verse of 5 or 7 characters, with tones from ``CharacterReading``
/// ("either" characters satisfy any side of a rule, and a character with no rhyme group fits
/// any rhyme):
/// 1. every couplet's last character is level, and all of them rhyme (one group common to all);
/// 2. every couplet's first verse ends oblique, except that the poem's first verse may instead
///    end level and rhyme with the others;
/// 3. within a verse the 2nd and 4th characters differ in tone (7 characters: also the 4th and 6th);
/// 4. 对: within a couplet the two verses' 2nd characters differ in tone;
/// 5. 粘: a couplet's first verse has the 2nd-character tone of the previous couplet's second verse;
/// 6. no verse ends in three level characters (三平尾).
///
/// A broken rule is charged to a verse: rule 1 to a couplet end that is oblique or lacks the
/// rhyme most of them share; rule 4 to a couplet's second verse; rule 5 to a couplet's first.
///
/// - Parameters:
///   - poem: the poem's text (see ``splitVerses(_:)``), or its verses.
///   - enteringRule: false reads tones from Mandarin alone (to measure what the entering tone adds).
/// - Throws: ``VerseError`` when the text is not couplets of 5 or 7 Han characters.
public func checkVerse(_ poem: String, enteringRule: Bool = true) throws(VerseError) -> VerseAnalysis {
    try checkVerse(verses: splitVerses(poem), enteringRule: enteringRule)
}

/// Checks a poem given as its verses; see ``checkVerse(_:enteringRule:)``.
public func checkVerse(verses texts: [String], enteringRule: Bool = true) throws(VerseError) -> VerseAnalysis {
    guard let first = texts.first else { throw .empty }
    let n = first.count
    for (i, text) in texts.enumerated() {
        if text.count != n || (n != 5 && n != 7) {
            throw .verseLength(verse: i + 1, count: text.count, expected: n == 5 || n == 7 ? n : 0)
        }
        if let bad = text.first(where: { !$0.unicodeScalars.allSatisfy(\.properties.isIdeographic) }) {
            throw .notHan(verse: i + 1, character: String(bad))
        }
    }
    if texts.count % 2 != 0 { throw .oddVerseCount(texts.count) }

    var verses = texts.map { text in
        let characters = text.map(String.init)
        let readings = characters.map(CharacterReading.init)
        return VerseLine(characters: characters, tones: readings.map { $0.tone(enteringRule: enteringRule) },
                         groups: readings.map(\.groups), broken: [])
    }
    func differ(_ a: Tone, _ b: Tone) -> Bool { a == .either || b == .either || a != b }
    func breaks(_ v: Int, _ rule: VerseRule) { if !verses[v].broken.contains(rule) { verses[v].broken.append(rule) } }

    // Rule 1: the couplet ends. Their common groups; if none, the group most of them share.
    let ends = stride(from: 1, to: verses.count, by: 2).map { $0 }
    var common = RhymeGroups.all
    for v in ends where !verses[v].groups[n - 1].isEmpty { common.formIntersection(verses[v].groups[n - 1]) }
    var rhymeSet = common
    if common.isEmpty {
        let best = RhymeGroup.allCases.max { a, b in
            let count = { (g: RhymeGroup) in ends.filter { verses[$0].groups[n - 1].contains(RhymeGroups(g)) }.count }
            return count(a) < count(b) || (count(a) == count(b) && a.rawValue > b.rawValue)
        }!
        rhymeSet = RhymeGroups(best)
    }
    for v in ends {
        let last = verses[v].groups[n - 1]
        if verses[v].tones[n - 1] == .oblique || (!last.isEmpty && last.isDisjoint(with: rhymeSet)) { breaks(v, .rhyme) }
    }
    // Rule 2: the couplets' first verses end oblique; the poem's first may end level and rhyme.
    for v in stride(from: 0, to: verses.count, by: 2) where verses[v].tones[n - 1] == .level {
        let last = verses[v].groups[n - 1]
        if v != 0 || (!last.isEmpty && last.isDisjoint(with: rhymeSet)) { breaks(v, .firstVerseEnd) }
    }
    for v in verses.indices {
        let t = verses[v].tones
        // Rule 3: 2nd and 4th (and 4th and 6th) differ.
        if !differ(t[1], t[3]) || (n == 7 && !differ(t[3], t[5])) { breaks(v, .alternation) }
        // Rule 6: no 三平尾.
        if t[(n - 3)...].allSatisfy({ $0 == .level }) { breaks(v, .threeLevelEnd) }
        if v % 2 == 1 {
            // Rule 4: 对 within the couplet.
            if !differ(verses[v - 1].tones[1], t[1]) { breaks(v, .opposition) }
        } else if v > 0 {
            // Rule 5: 粘 with the previous couplet (the same tone, or either).
            let previous = verses[v - 1].tones[1]
            if previous != .either && t[1] != .either && previous != t[1] { breaks(v, .adhesion) }
        }
    }
    for v in verses.indices { verses[v].broken.sort { $0.rawValue < $1.rawValue } }

    // The closest standard pattern.
    var best = (pattern: VersePattern.all[0], mismatches: Int.max)
    for pattern in VersePattern.all {
        var mismatches = 0
        for v in verses.indices {
            for (slot, tone) in zip(pattern.slots(verse: v, charactersPerVerse: n), verses[v].tones) where !slot.allows(tone) {
                mismatches += 1
            }
        }
        if mismatches < best.mismatches { best = (pattern, mismatches) }
    }
    return VerseAnalysis(charactersPerVerse: n, verses: verses, rhyme: common, closestPattern: best.pattern,
                         patternMismatches: best.mismatches)
}

// MARK: - A file of poems

/// Cuts a text into poems at blank lines (one or more empty lines, spaces ignored).
public func splitPoems(_ text: String) -> [String] {
    var poems: [String] = [], current: [Substring] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.allSatisfy(\.isWhitespace) {
            if !current.isEmpty { poems.append(current.joined(separator: "\n")) }
            current = []
        } else {
            current.append(line)
        }
    }
    if !current.isEmpty { poems.append(current.joined(separator: "\n")) }
    return poems
}

/// How many poems of a collection keep each rule: what `charrnn verse` prints last.
public struct VerseSummary: Sendable, Equatable, Codable {
    /// Poems read.
    public var poems = 0
    /// Poems that are not couplets of 5 or 7 Han characters (not checked).
    public var skipped = 0
    /// Poems checked.
    public var checked: Int { poems - skipped }
    /// Checked poems that keep all six rules.
    public var passing = 0
    /// For each rule (1…6, index 0…5), the checked poems that keep it.
    public var keeping = [Int](repeating: 0, count: VerseRule.allCases.count)

    public init() {}

    /// Counts one poem: its analysis, or `nil` when it could not be checked.
    public mutating func add(_ analysis: VerseAnalysis?) {
        poems += 1
        guard let analysis else {
            skipped += 1
            return
        }
        if analysis.passes { passing += 1 }
        let broken = analysis.brokenRules
        for rule in VerseRule.allCases where !broken.contains(rule) { keeping[rule.rawValue - 1] += 1 }
    }
}
