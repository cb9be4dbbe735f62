// The four standard tone patterns of regulated verse (近体诗), for verses of 5 or 7 characters
// in couplets: what the generator masks to, and what the checker measures a poem against.

/// What a pattern asks of one position of a verse.
public enum PatternSlot: Sendable, Equatable {
    /// The character's tone must fit this tone.
    case tone(Tone)
    /// Any tone (⊙: the free first, third (and fifth) positions, 一三五不论, where the six rules
    /// allow it).
    case free

    /// Whether a character of tone `tone` may stand here.
    public func allows(_ tone: Tone) -> Bool {
        switch self {
        case .free: true
        case .tone(let required): tone.fits(required)
        }
    }

    /// 平, 仄 or ⊙.
    public var symbol: String {
        switch self {
        case .free: "⊙"
        case .tone(let tone): tone.symbol
        }
    }
}

/// One of the four standard tone patterns of a form: named by the tone of the first verse's
/// second character (平起 / 仄起) and by whether the first verse rhymes (首句入韵).
///
/// The verses are built from four verse types (5 characters; 7 characters put two opposite
/// tones before them): A ⊙仄平平仄, B 平平⊙仄平, C ⊙平平仄仄, D ⊙仄仄平平 (7: ⊙平⊙仄平平仄,
/// ⊙仄平平⊙仄平, ⊙仄⊙平平仄仄, ⊙平⊙仄仄平平). Verses follow the cycle A B C D from the type
/// whose second character is the pattern's; a rhyming first verse takes the type before that
/// (D for A, B for C), which ends level. Every pattern, at any number of couplets, keeps the six
/// rules of ``checkVerse(_:enteringRule:)`` (tested).
public struct VersePattern: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The first verse's second character is level (平起); otherwise oblique (仄起).
    public var startsLevel: Bool
    /// The first verse ends level and rhymes (首句入韵).
    public var firstVerseRhymes: Bool

    public init(startsLevel: Bool, firstVerseRhymes: Bool) {
        self.startsLevel = startsLevel
        self.firstVerseRhymes = firstVerseRhymes
    }

    /// The four patterns, in this order: 仄起, 仄起入韵, 平起, 平起入韵.
    public static let all = [
        VersePattern(startsLevel: false, firstVerseRhymes: false), VersePattern(startsLevel: false, firstVerseRhymes: true),
        VersePattern(startsLevel: true, firstVerseRhymes: false), VersePattern(startsLevel: true, firstVerseRhymes: true),
    ]

    /// The short name: 仄起, 仄起入韵, 平起 or 平起入韵 (`--pattern`).
    public var name: String { (startsLevel ? "平起" : "仄起") + (firstVerseRhymes ? "入韵" : "") }

    /// The full name: 仄起首句不入韵 and so on.
    public var fullName: String { (startsLevel ? "平起" : "仄起") + (firstVerseRhymes ? "首句入韵" : "首句不入韵") }

    public var description: String { name }

    /// The names `--pattern` accepts, in the order of ``all``.
    public static let acceptedNames = ["仄起 (ze)", "仄起入韵 (ze-rhymed)", "平起 (ping)", "平起入韵 (ping-rhymed)"]

    /// The pattern named `name`: the short or full Chinese name, or ze, ze-rhymed, ping,
    /// ping-rhymed; `nil` for any other name.
    public init?(name: String) {
        let ascii = ["ze", "ze-rhymed", "ping", "ping-rhymed"]
        guard let pattern = Self.all.first(where: { $0.name == name || $0.fullName == name })
            ?? ascii.firstIndex(of: name.lowercased()).map({ Self.all[$0] })
        else { return nil }
        self = pattern
    }

    /// The slots of verse `verse` (from 0) of a poem with `n` characters per verse (5 or 7).
    /// - Precondition: n is 5 or 7, verse ≥ 0.
    public func slots(verse: Int, charactersPerVerse n: Int) -> [PatternSlot] {
        precondition(n == 5 || n == 7, "regulated verses have 5 or 7 characters, not \(n)")
        let start = [0, 2].first { Self.type($0, n)[1] == .tone(startsLevel ? .level : .oblique) }!
        let type = verse == 0 && firstVerseRhymes ? (start + 3) % 4 : (start + verse) % 4
        return Self.type(type, n)
    }

    /// Whether the last character of verse `verse` is a rhyme position: the second verse of each
    /// couplet, and the first verse when it rhymes.
    public func rhymes(verse: Int) -> Bool { verse % 2 == 1 || (verse == 0 && firstVerseRhymes) }

    /// The pattern of a poem of `verses` verses, one string of 平仄⊙ per verse.
    public func chart(verses: Int, charactersPerVerse n: Int) -> [String] {
        (0..<verses).map { v in slots(verse: v, charactersPerVerse: n).map(\.symbol).joined() }
    }

    /// Verse types A B C D (index 0…3) for n characters.
    private static func type(_ index: Int, _ n: Int) -> [PatternSlot] {
        let (P, Z, O) = (PatternSlot.tone(.level), PatternSlot.tone(.oblique), PatternSlot.free)
        let five: [[PatternSlot]] = [[O, Z, P, P, Z], [P, P, O, Z, P], [O, P, P, Z, Z], [O, Z, Z, P, P]]
        let seven: [[PatternSlot]] = [[O, P, O, Z, P, P, Z], [O, Z, P, P, O, Z, P], [O, Z, O, P, P, Z, Z], [O, P, O, Z, Z, P, P]]
        return (n == 5 ? five : seven)[index]
    }
}
