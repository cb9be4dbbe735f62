// Chinese verse forms (五言 / 七言, 藏头诗, and regulated verse 格律) as constraints on sampling:
// at each step the form says which tokens may come next, and the sampler draws only among them.
// Nothing is ever generated and then rejected, so a form costs no extra model steps.

import Verse

// MARK: - Errors

/// Why a verse form cannot be built or a token does not fit it; each `description` is one line
/// naming the token and what was expected.
public enum VerseFormError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A token the form needs (an acrostic character, "，", "。" or "\n") is not in the vocabulary.
    case notInVocabulary(String)
    /// The form needs Han characters and the vocabulary has none.
    case noHanCharacters
    /// `token`, at `position` (tokens counted from 0 at the start of the verse, seed included),
    /// does not fit the form; `expected` says what would, e.g. `a Han character` or `"，"`.
    case breaksForm(token: String, position: Int, expected: String)
    /// A line count and an acrostic were both given and they differ.
    case acrosticMismatch(lines: Int, acrosticCount: Int)
    /// The acrostic is empty.
    case emptyAcrostic
    /// An acrostic character that cannot begin a line of this form; `expected` says what could.
    case acrosticCharacter(String, expected: String)
    /// A line count below 1.
    case invalidLineCount(Int)
    /// A number of characters per half line below 1.
    case invalidCharactersPerHalf(Int)
    /// Regulated verse asked for without 5 or 7 characters per half line.
    case regulatedNeedsForm
    /// The acrostic character `character`, of tone `tone`, cannot begin line `line` (from 1) in
    /// any of the `patterns` left by the characters before it.
    case acrosticBreaksPattern(String, line: Int, tone: Tone, patterns: [VersePattern])
    /// At token `position` of the verse no token of the vocabulary keeps the tone pattern and
    /// the rhyme: `expected` says what would.
    case nothingFits(position: Int, expected: String)

    public var description: String {
        switch self {
        case .notInVocabulary(let token):
            return "the model's vocabulary has no \(quoted(token)), which the verse form needs"
        case .noHanCharacters:
            return "the model's vocabulary has no Han characters, so it cannot write lines of a fixed form"
        case .breaksForm(let token, let position, let expected):
            return "\(quoted(token)) (token \(position + 1) of the verse) breaks the form: expected \(expected)"
        case .acrosticMismatch(let lines, let count):
            return "the verse has \(lines) lines but the acrostic has \(count) characters: give one per line"
        case .emptyAcrostic:
            return "the acrostic has no characters"
        case .acrosticCharacter(let character, let expected):
            return "the acrostic character \(quoted(character)) cannot begin a line: expected \(expected)"
        case .invalidLineCount(let lines):
            return "a verse needs at least 1 line, not \(lines)"
        case .invalidCharactersPerHalf(let count):
            return "a half line needs at least 1 character, not \(count)"
        case .regulatedNeedsForm:
            return "regulated verse needs 5 or 7 characters per half line (--form 5 or 7)"
        case .acrosticBreaksPattern(let character, let line, let tone, let patterns):
            let names = patterns.map(\.name).joined(separator: ", ")
            return "the acrostic character \(quoted(character)) (\(tone.symbol)) cannot begin line \(line) in "
                + (patterns.count == 1 ? "the pattern \(names)" : "any of the patterns \(names)")
                + ": choose another character or another --pattern"
        case .nothingFits(let position, let expected):
            return "no character of the model's vocabulary fits token \(position + 1) of the verse: expected \(expected)"
        }
    }
}

/// A token between quotes, with a line break shown as `\n` so that messages stay on one line.
private func quoted(_ token: String) -> String { token.debugDescription }

// MARK: - What may come next

/// What a ``VerseForm`` allows as the next token.
public enum NextToken: Equatable, Sendable {
    /// Any token the sampler likes.
    case free
    /// Only the tokens of the mask (a single one when the form forces it).
    case only(TokenMask)
    /// The verse is complete: stop generating.
    case done
}

// MARK: - Regulated verse

/// What regulated verse (格律) asks of a fixed form of 5 or 7 characters: a standard tone
/// pattern and one rhyme (see the Verse module's `VersePattern` and `checkVerse`).
public struct Regulation: Sendable, Equatable {
    /// The pattern to keep; `nil`: the first draws choose among the four.
    public var pattern: VersePattern?
    /// The rhyme group; `nil`: set by the first rhyming character.
    public var rhyme: RhymeGroup?

    public init(pattern: VersePattern? = nil, rhyme: RhymeGroup? = nil) {
        self.pattern = pattern
        self.rhyme = rhyme
    }
}

/// The state of a regulated form: the patterns the verse still fits and the rhyme groups
/// common to its rhyming characters, with the vocabulary's tones and masks.
private struct RegulatedState: Sendable {
    var patterns: [VersePattern]
    var rhyme: RhymeGroups
    let tones: [Tone]
    let groups: [RhymeGroups]
    /// Han tokens that may stand where the pattern asks for level / oblique.
    let level: TokenMask, oblique: TokenMask
    /// For each rhyme group, the Han tokens in it or in no group.
    let inGroup: [TokenMask]

    init(vocabulary: [String], han: TokenMask, regulation: Regulation) {
        let readings = vocabulary.indices.map { han.contains($0) ? CharacterReading(vocabulary[$0]) : nil }
        let tones = readings.map { $0?.tone ?? .either }
        let groups = readings.map { $0?.groups ?? [] }
        self.tones = tones
        self.groups = groups
        let ids = han.allowedIDs
        level = TokenMask(count: vocabulary.count, allowing: ids.filter { tones[$0] != .oblique })
        oblique = TokenMask(count: vocabulary.count, allowing: ids.filter { tones[$0] != .level })
        inGroup = RhymeGroup.allCases.map { g in
            TokenMask(count: vocabulary.count, allowing: ids.filter { groups[$0].isEmpty || groups[$0].contains(RhymeGroups(g)) })
        }
        patterns = regulation.pattern.map { [$0] } ?? VersePattern.all
        rhyme = regulation.rhyme.map(RhymeGroups.init) ?? .all
    }

    /// Whether `token` may stand at character `column` of verse `verse` in `pattern`.
    func fits(_ token: Int, _ pattern: VersePattern, verse: Int, column: Int, n: Int) -> Bool {
        guard pattern.slots(verse: verse, charactersPerVerse: n)[column].allows(tones[token]) else { return false }
        if column == n - 1 && pattern.rhymes(verse: verse) {
            return groups[token].isEmpty || !groups[token].isDisjoint(with: rhyme)
        }
        return true
    }

    /// The Han tokens that fit some remaining pattern there.
    func allowed(han: TokenMask, verse: Int, column: Int, n: Int) -> TokenMask {
        var union = TokenMask(count: han.count, allowing: [])
        var rhymeMask: TokenMask? = nil
        for pattern in patterns {
            var mask: TokenMask
            switch pattern.slots(verse: verse, charactersPerVerse: n)[column] {
            case .free, .tone(.either): mask = han
            case .tone(.level): mask = level
            case .tone(.oblique): mask = oblique
            }
            if column == n - 1 && pattern.rhymes(verse: verse) {
                if rhymeMask == nil {
                    var m = TokenMask(count: han.count, allowing: [])
                    for g in rhyme.groups { m.formUnion(inGroup[g.rawValue]) }
                    rhymeMask = m
                }
                mask.formIntersection(rhymeMask!)
            }
            union.formUnion(mask)
        }
        return union
    }

    /// What the remaining patterns ask there, for messages: "a 平 character rhyming in 唐".
    func expectation(verse: Int, column: Int, n: Int) -> String {
        let slots = Set(patterns.map { $0.slots(verse: verse, charactersPerVerse: n)[column].symbol })
        let tone = slots.count == 1 && slots.first != "⊙" ? "a \(slots.first!) character" : "a Han character"
        let rhymes = column == n - 1 && patterns.contains { $0.rhymes(verse: verse) }
        return tone + (rhymes ? " rhyming in \(rhyme.names)" : "") + " (pattern \(patterns.map(\.name).joined(separator: "/")))"
    }

    /// Records `token` there: keeps the patterns it fits and narrows the rhyme.
    /// - Returns: false (and changes nothing) when it fits no remaining pattern.
    mutating func advance(_ token: Int, verse: Int, column: Int, n: Int) -> Bool {
        let fitting = patterns.filter { fits(token, $0, verse: verse, column: column, n: n) }
        if fitting.isEmpty { return false }
        patterns = fitting
        if column == n - 1 && fitting.allSatisfy({ $0.rhymes(verse: verse) }) && !groups[token].isEmpty {
            rhyme.formIntersection(groups[token])
        }
        return true
    }
}

// MARK: - The form

/// The constraint a verse form puts on generated text; the generator asks ``next()`` what may
/// come next, samples with that mask, and reports the token with ``advance(_:)``. The seed text
/// is reported the same way first, so it counts toward the form. Priming tokens fed only to
/// the network (such as leading line breaks) are not reported.
///
/// With `charactersPerHalf` n (5 or 7 for 五言 or 七言), each line is n Han characters, "，",
/// n Han characters, "。"; lines are joined by "\n" and the verse ends after the last "。",
/// with no line break after it. Without it, lines are free and each ends with "\n"; the verse
/// ends after `lines` line breaks, and with neither `lines` nor an acrostic it never ends
/// (the caller caps the length). With an acrostic, line i begins with `acrostic[i]`.
///
/// A Han character is a vocabulary token, other than the unknown token, whose every Unicode
/// scalar is ideographic (`Unicode.Scalar.Properties.isIdeographic`).
///
/// With a ``Regulation`` (5 or 7 characters only), each Han character must also keep one of
/// the standard tone patterns (`VersePattern`) and, at the rhyme positions, the rhyme: the mask
/// holds the characters that fit some pattern the verse still fits, and each character drawn
/// keeps only the patterns it fits (so the first draws choose the pattern) and narrows the
/// rhyme groups to those it shares. Every verse completed this way keeps the six rules of
/// `checkVerse`. No character comes three times in a row.
public struct VerseForm: Sendable {
    /// The line count of a fixed form given neither `lines` nor an acrostic: a quatrain (绝句).
    public static let defaultLines = 4

    /// Han characters per half line, or `nil` for free lines.
    public let charactersPerHalf: Int?
    /// The number of lines, or `nil` when the verse never ends on its own.
    public let lines: Int?
    /// How many tokens have been reported with ``advance(_:)``.
    public private(set) var position = 0

    private let vocabulary: [String]
    private let han: TokenMask
    private let comma: Int, period: Int, newline: Int  // -1 when the form does not need them
    private let acrostic: [Int]?
    /// Free lines only: the current line, and whether no token of it has been reported yet.
    private var line = 0, atLineStart = true
    /// Regulated verse only.
    private var regulated: RegulatedState?
    /// The last two tokens reported (-1 before any): regulated verse never draws a character a
    /// third time in a row.
    private var lastTwo = (-1, -1)

    /// Regulated verse: the standard patterns the verse still fits (the first is the one a
    /// complete verse is reported as), or `nil` for a form without a ``Regulation``.
    public var patterns: [VersePattern]? { regulated?.patterns }
    /// Regulated verse: the rhyme groups its rhyming characters so far have in common.
    public var rhyme: RhymeGroups? { regulated?.rhyme }

    /// A verse form over a model's vocabulary.
    /// - Parameters:
    ///   - vocabulary: the model's token strings in id order.
    ///   - unknownToken: the id of the model's unknown token, if any; it is never a Han character
    ///     and never stands for an acrostic character.
    ///   - charactersPerHalf: 5 or 7 (any n ≥ 1 works) for a fixed form, `nil` for free lines.
    ///   - lines: the number of lines. With an acrostic it may be omitted, and if given must
    ///     equal the acrostic's count. A fixed form with neither has ``defaultLines``.
    ///   - acrostic: the tokens that begin the lines (藏头诗), one per line.
    ///   - regulation: regulated verse (with `charactersPerHalf` 5 or 7): a pattern and a rhyme.
    /// - Throws: ``VerseFormError`` when the arguments disagree, the vocabulary lacks a token
    ///   the form needs, or an acrostic character fits no pattern that the regulation allows.
    public init(
        vocabulary: [String], unknownToken: Int?, charactersPerHalf: Int?, lines: Int?, acrostic: [String]?,
        regulation: Regulation? = nil
    ) throws(VerseFormError) {
        if regulation != nil && charactersPerHalf != 5 && charactersPerHalf != 7 { throw .regulatedNeedsForm }
        if let n = charactersPerHalf, n < 1 { throw .invalidCharactersPerHalf(n) }
        if let lines, lines < 1 { throw .invalidLineCount(lines) }
        if let acrostic {
            if acrostic.isEmpty { throw .emptyAcrostic }
            if let lines, lines != acrostic.count { throw .acrosticMismatch(lines: lines, acrosticCount: acrostic.count) }
        }
        let lineCount = lines ?? acrostic?.count ?? (charactersPerHalf == nil ? nil : Self.defaultLines)

        func lookup(_ token: String) throws(VerseFormError) -> Int {
            guard let id = vocabulary.indices.first(where: { vocabulary[$0] == token && $0 != unknownToken })
            else { throw .notInVocabulary(token) }
            return id
        }
        let han = TokenMask(count: vocabulary.count, allowing: vocabulary.indices.filter { i in
            i != unknownToken && !vocabulary[i].isEmpty
                && vocabulary[i].unicodeScalars.allSatisfy { $0.properties.isIdeographic }
        })

        if charactersPerHalf != nil {
            if han.allowedCount == 0 { throw .noHanCharacters }
            comma = try lookup("，")
            period = try lookup("。")
            newline = lineCount! > 1 ? try lookup("\n") : -1
        } else {
            comma = -1
            period = -1
            newline = lineCount != nil ? try lookup("\n") : -1
        }
        var acrosticIDs: [Int]? = nil
        if let acrostic {
            acrosticIDs = []
            for character in acrostic {
                let id = try lookup(character)
                if charactersPerHalf != nil && !han.contains(id) {
                    throw .acrosticCharacter(character, expected: "a Han character")
                }
                if id == newline { throw .acrosticCharacter(character, expected: "a token other than \"\\n\"") }
                acrosticIDs!.append(id)
            }
        }

        if let regulation, let n = charactersPerHalf {
            var state = RegulatedState(vocabulary: vocabulary, han: han, regulation: regulation)
            for (line, id) in (acrosticIDs ?? []).enumerated() where !state.advance(id, verse: 2 * line, column: 0, n: n) {
                throw .acrosticBreaksPattern(vocabulary[id], line: line + 1, tone: state.tones[id], patterns: state.patterns)
            }
            regulated = state
        }

        self.vocabulary = vocabulary
        self.han = han
        self.charactersPerHalf = charactersPerHalf
        self.lines = lineCount
        self.acrostic = acrosticIDs
    }

    /// What may come next: the mask of allowed tokens, `.free`, or `.done` once the verse is complete.
    public func next() -> NextToken {
        switch slot {
        case .han:
            guard let regulated, let (verse, column) = verseAndColumn else { return .only(han) }
            var mask = regulated.allowed(han: han, verse: verse, column: column, n: charactersPerHalf!)
            if let repeated = thirdInARow { mask.remove(repeated) }
            return .only(mask)
        case .exactly(let id): return .only(TokenMask(count: vocabulary.count, allowing: [id]))
        case .free: return .free
        case .end: return .done
        }
    }

    /// Whether the verse is complete (``next()`` returns `.done`).
    public var isComplete: Bool { slot == .end }

    /// Records the next token of the verse, from the seed text or from the sampler.
    /// - Throws: ``VerseFormError/breaksForm(token:position:expected:)`` when the token is not
    ///   one that ``next()`` allows; the form is then unchanged.
    /// - Precondition: `token` is an id of the vocabulary.
    public mutating func advance(_ token: Int) throws(VerseFormError) {
        precondition(vocabulary.indices.contains(token), "token id \(token) is outside a vocabulary of \(vocabulary.count)")
        let expected: String? = switch slot {
        case .han: han.contains(token) ? nil : "a Han character"
        case .exactly(let id): token == id ? nil : quoted(vocabulary[id])
        case .free: nil
        case .end: "the end of the verse"
        }
        if let expected { throw .breaksForm(token: vocabulary[token], position: position, expected: expected) }
        if regulated != nil, han.contains(token), let (verse, column) = verseAndColumn {
            let n = charactersPerHalf!
            if token == thirdInARow {
                throw .breaksForm(token: vocabulary[token], position: position,
                                  expected: "a character other than \(quoted(vocabulary[token])) (not three in a row)")
            }
            if !regulated!.advance(token, verse: verse, column: column, n: n) {
                throw .breaksForm(token: vocabulary[token], position: position,
                                  expected: regulated!.expectation(verse: verse, column: column, n: n))
            }
        }
        position += 1
        lastTwo = (lastTwo.1, token)
        if token == newline {
            line += 1
            atLineStart = true
        } else {
            atLineStart = false
        }
    }

    // MARK: - Where the verse stands

    /// Regulated verse: the Han character that the last two tokens repeat, which may not come a
    /// third time (叠字, a character twice, is common in Tang verse; three times it is not).
    private var thirdInARow: Int? {
        regulated != nil && lastTwo.0 == lastTwo.1 && han.contains(lastTwo.1) ? lastTwo.1 : nil
    }

    /// What a regulated form asks at ``position`` (when it is a Han character's), for messages.
    public var expectation: String {
        guard let regulated, let (verse, column) = verseAndColumn else { return "a Han character" }
        return regulated.expectation(verse: verse, column: column, n: charactersPerHalf!)
    }

    /// The verse (from 0, two per line) and the character in it of ``position``, in a fixed
    /// form; `nil` at punctuation or in free lines.
    private var verseAndColumn: (Int, Int)? {
        guard let n = charactersPerHalf else { return nil }
        let (line, column) = position.quotientAndRemainder(dividingBy: 2 * n + 3)
        if column < n { return (2 * line, column) }
        if column > n && column < 2 * n + 1 { return (2 * line + 1, column - n - 1) }
        return nil
    }

    private enum Slot: Equatable { case han, exactly(Int), free, end }

    /// The kind of token due at ``position``.
    private var slot: Slot {
        guard let n = charactersPerHalf else {
            if let lines, line >= lines { return .end }
            if atLineStart, let acrostic { return .exactly(acrostic[line]) }
            return .free
        }
        // A line and its line break: H×n "，" H×n "。" "\n" (none after the last line).
        let periodColumn = 2 * n + 1, stride = 2 * n + 3
        let (line, column) = position.quotientAndRemainder(dividingBy: stride)
        if position >= lines! * stride - 1 { return .end }
        switch column {
        case 0: return acrostic.map { .exactly($0[line]) } ?? .han
        case n: return .exactly(comma)
        case periodColumn: return .exactly(period)
        case periodColumn + 1: return .exactly(newline)
        default: return .han
        }
    }
}
