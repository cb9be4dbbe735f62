// Chinese verse forms (五言 / 七言, 藏头诗) as constraints on sampling: at each step the form
// says which tokens may come next, and the sampler draws only among them. Nothing is ever
// generated and then rejected, so a form costs no extra model steps.

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

    /// A verse form over a model's vocabulary.
    /// - Parameters:
    ///   - vocabulary: the model's token strings in id order.
    ///   - unknownToken: the id of the model's unknown token, if any; it is never a Han character
    ///     and never stands for an acrostic character.
    ///   - charactersPerHalf: 5 or 7 (any n ≥ 1 works) for a fixed form, `nil` for free lines.
    ///   - lines: the number of lines. With an acrostic it may be omitted, and if given must
    ///     equal the acrostic's count. A fixed form with neither has ``defaultLines``.
    ///   - acrostic: the tokens that begin the lines (藏头诗), one per line.
    /// - Throws: ``VerseFormError`` when the arguments disagree, or the vocabulary lacks a token
    ///   the form needs.
    public init(
        vocabulary: [String], unknownToken: Int?, charactersPerHalf: Int?, lines: Int?, acrostic: [String]?
    ) throws(VerseFormError) {
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

        self.vocabulary = vocabulary
        self.han = han
        self.charactersPerHalf = charactersPerHalf
        self.lines = lineCount
        self.acrostic = acrosticIDs
    }

    /// What may come next: the mask of allowed tokens, `.free`, or `.done` once the verse is complete.
    public func next() -> NextToken {
        switch slot {
        case .han: return .only(han)
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
        position += 1
        if token == newline {
            line += 1
            atLineStart = true
        } else {
            atLineStart = false
        }
    }

    // MARK: - Where the verse stands

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
