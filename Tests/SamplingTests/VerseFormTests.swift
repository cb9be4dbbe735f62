// Verse forms driven by a random sampler over a tiny vocabulary; every output is checked
// character by character against the form, independently of VerseForm's own bookkeeping.

import Sampling
import Tensor
import Testing

/// A tiny vocabulary: line break, the two punctuation marks, six Han characters, a Latin
/// letter and the unknown token (last).
let vocabulary = ["\n", "，", "。", "春", "夏", "秋", "冬", "花", "月", "a", "�"]
let unknown = 10
let hanCharacters: Set<Character> = Set("春夏秋冬花月")

func ids(_ text: String) -> [Int] { text.map { vocabulary.firstIndex(of: String($0))! } }

func form(_ n: Int?, lines: Int? = nil, acrostic: String? = nil) throws(VerseFormError) -> VerseForm {
    try VerseForm(vocabulary: vocabulary, unknownToken: unknown, charactersPerHalf: n, lines: lines,
                  acrostic: acrostic.map { $0.map(String.init) })
}

/// Feeds `seed` to the form, then samples uniformly among what it allows (through
/// `sampleToken` with equal logits) until it is done or `cap` tokens have been made.
func complete(_ form: inout VerseForm, seed: String, rng: inout SeededGenerator, cap: Int = 10_000) throws -> String {
    var text = seed
    for id in ids(seed) { try form.advance(id) }
    let flat = [Float](repeating: 0, count: vocabulary.count)
    for _ in 0..<cap {
        let mask: TokenMask?
        switch form.next() {
        case .done: return text
        case .free: mask = nil
        case .only(let allowed): mask = allowed
        }
        let id = sampleToken(logits: flat, settings: SamplingSettings(temperature: 1), mask: mask, using: &rng)
        try form.advance(id)
        text += vocabulary[id]
    }
    return text
}

/// Whether `text` is exactly `lines` lines joined by "\n", each n Han characters, "，",
/// n Han characters, "。", and line i begins with `acrostic[i]` when given.
func isWellFormed(_ text: String, n: Int, lines: Int, acrostic: String?) -> Bool {
    let rows = text.split(separator: "\n", omittingEmptySubsequences: false)
    guard rows.count == lines else { return false }
    for (i, row) in rows.enumerated() {
        let c = Array(row)
        guard c.count == 2 * n + 2, c[n] == "，", c[2 * n + 1] == "。" else { return false }
        guard (c[0..<n] + c[(n + 1)...(2 * n)]).allSatisfy(hanCharacters.contains) else { return false }
        if let acrostic, c[0] != Array(acrostic)[i] { return false }
    }
    return true
}

@Suite("Verse forms")
struct VerseFormTests {
    // MARK: - Fixed forms

    @Test(arguments: [5, 7])
    func randomVersesAreWellFormed(n: Int) throws {
        var rng = SeededGenerator(seed: UInt64(n))
        let firstLine = String("春花秋月冬夏秋春花月冬夏秋月".prefix(n)) + "，" + String("月冬夏秋春花秋".prefix(n)) + "。"
        for lines in 1...4 {
            for acrostic in [nil, String("秋月花冬".prefix(lines))] {
                var seeds = acrostic.map { ["", String($0.first!), String($0.first!) + "花"] }
                    ?? ["", "春", String(firstLine.prefix(n + 2))]
                if acrostic == nil { seeds += [firstLine] }
                if acrostic == nil && lines > 1 { seeds += [firstLine + "\n", firstLine + "\n夏"] }
                for seed in seeds {
                    for _ in 0..<20 {
                        var verse = try form(n, lines: lines, acrostic: acrostic)
                        let text = try complete(&verse, seed: seed, rng: &rng)
                        #expect(text.hasPrefix(seed))
                        #expect(isWellFormed(text, n: n, lines: lines, acrostic: acrostic), "\(text.debugDescription)")
                        #expect(verse.isComplete && verse.next() == .done)
                    }
                }
            }
        }
    }

    @Test func aFixedFormWithoutLinesIsAQuatrain() throws {
        var rng = SeededGenerator(seed: 9)
        var verse = try form(5)
        #expect(verse.lines == VerseForm.defaultLines)
        #expect(isWellFormed(try complete(&verse, seed: "", rng: &rng), n: 5, lines: 4, acrostic: nil))
        let acrostic = try form(7, acrostic: "春夏")
        #expect(acrostic.lines == 2)
    }

    @Test func hanPositionsAllowOnlyHanCharacters() throws {
        let han = TokenMask(count: vocabulary.count, allowing: 3...8)
        var verse = try form(5, lines: 2)
        var positions = 0
        while case .only(let mask) = verse.next() {
            if mask.allowedCount > 1 {
                #expect(mask == han)
                #expect(!mask.contains(9) && !mask.contains(unknown))
                positions += 1
            }
            try verse.advance(mask.allowedIDs.first!)
        }
        #expect(positions == 20)
        // The unknown token is never Han, even when its text is.
        let odd = try VerseForm(vocabulary: vocabulary, unknownToken: 8, charactersPerHalf: 5, lines: 1, acrostic: nil)
        #expect(odd.next() == .only(TokenMask(count: vocabulary.count, allowing: 3...7)))
    }

    @Test func forcedTokensAreSingleIDs() throws {
        var verse = try form(5, lines: 2, acrostic: "秋月")
        #expect(verse.next() == .only(TokenMask(count: vocabulary.count, allowing: [5])))
        for id in ids("秋花花花花") { try verse.advance(id) }
        #expect(verse.next() == .only(TokenMask(count: vocabulary.count, allowing: [1])))
        for id in ids("，花花花花花") { try verse.advance(id) }
        #expect(verse.next() == .only(TokenMask(count: vocabulary.count, allowing: [2])))
        try verse.advance(2)
        #expect(verse.next() == .only(TokenMask(count: vocabulary.count, allowing: [0])))
        try verse.advance(0)
        #expect(verse.next() == .only(TokenMask(count: vocabulary.count, allowing: [8])))
        #expect(verse.position == 13)
    }

    // MARK: - Free lines

    @Test func acrosticAloneForcesLineStartsAndIsFreeOtherwise() throws {
        var verse = try form(nil, acrostic: "春夏")
        #expect(verse.next() == .only(TokenMask(count: vocabulary.count, allowing: [3])))
        try verse.advance(3)
        #expect(verse.next() == .free)
        for id in ids("a�。花") { try verse.advance(id); #expect(verse.next() == .free) }
        try verse.advance(0)
        #expect(verse.next() == .only(TokenMask(count: vocabulary.count, allowing: [4])))
        try verse.advance(4)
        try verse.advance(0)  // a line of just its acrostic character
        #expect(verse.next() == .done)

        var rng = SeededGenerator(seed: 3)
        for _ in 0..<200 {
            var verse = try form(nil, acrostic: "冬a春")
            let text = try complete(&verse, seed: "", rng: &rng)
            let rows = text.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(rows.count == 4 && rows[3].isEmpty, "three lines, each ended by \"\\n\": \(text.debugDescription)")
            #expect(rows.prefix(3).map { $0.first } == ["冬", "a", "春"])
        }
    }

    @Test func linesAloneEndAfterThatManyLineBreaks() throws {
        var verse = try form(nil, lines: 2)
        for id in ids("a春\n\n") {
            #expect(verse.next() == .free)
            try verse.advance(id)
        }
        #expect(verse.next() == .done)
        var rng = SeededGenerator(seed: 4)
        var random = try form(nil, lines: 3)
        let text = try complete(&random, seed: "秋", rng: &rng)
        #expect(text.filter { $0 == "\n" }.count == 3 && text.last == "\n")
    }

    @Test func noConstraintIsAlwaysFree() throws {
        var verse = try form(nil)
        for id in ids("\n\n\na春，。\n") {
            #expect(verse.next() == .free)
            try verse.advance(id)
        }
        try verse.advance(unknown)
        #expect(verse.next() == .free && !verse.isComplete && verse.lines == nil)
    }

    // MARK: - Errors

    @Test func seedsThatBreakTheFormThrowWhereTheyBreakIt() throws {
        let cases: [(form: VerseForm, seed: String, error: VerseFormError)] = [
            (try form(5, lines: 2), "春花秋月，", .breaksForm(token: "，", position: 4, expected: "a Han character")),
            (try form(5, lines: 2), "春花秋月冬。", .breaksForm(token: "。", position: 5, expected: "\"，\"")),
            (try form(5, lines: 2), "a", .breaksForm(token: "a", position: 0, expected: "a Han character")),
            (try form(5, lines: 2), "春花秋月冬，夏秋冬花�", .breaksForm(token: "�", position: 10, expected: "a Han character")),
            (try form(5, lines: 2), "春花秋月冬，夏秋冬花月。春",
             .breaksForm(token: "春", position: 12, expected: "\"\\n\"")),
            (try form(5, lines: 1), "春花秋月冬，夏秋冬花月。\n",
             .breaksForm(token: "\n", position: 12, expected: "the end of the verse")),
            (try form(7, lines: 2, acrostic: "春夏"), "秋", .breaksForm(token: "秋", position: 0, expected: "\"春\"")),
            (try form(nil, acrostic: "春夏"), "春a\n秋", .breaksForm(token: "秋", position: 3, expected: "\"夏\"")),
            (try form(nil, lines: 1), "春\na", .breaksForm(token: "a", position: 2, expected: "the end of the verse")),
        ]
        for (start, seed, error) in cases {
            var verse = start
            #expect(throws: error, "seed \(seed.debugDescription)") {
                for id in ids(seed) { try verse.advance(id) }
            }
            // The failed token leaves the form where it was.
            #expect(verse.position == error.position!)
        }
    }

    @Test func badArgumentsAndMissingTokensThrow() {
        #expect(throws: VerseFormError.notInVocabulary("雪")) { try form(5, acrostic: "春雪") }
        #expect(throws: VerseFormError.notInVocabulary("雪")) { try form(nil, acrostic: "雪") }
        #expect(throws: VerseFormError.notInVocabulary("�")) { try form(nil, acrostic: "�") }
        #expect(throws: VerseFormError.acrosticCharacter("a", expected: "a Han character")) { try form(7, acrostic: "a") }
        #expect(throws: VerseFormError.acrosticCharacter("\n", expected: "a token other than \"\\n\"")) {
            try form(nil, acrostic: "春\n")
        }
        #expect(throws: VerseFormError.acrosticMismatch(lines: 3, acrosticCount: 4)) { try form(5, lines: 3, acrostic: "春夏秋冬") }
        #expect(throws: VerseFormError.emptyAcrostic) { try form(5, acrostic: "") }
        #expect(throws: VerseFormError.invalidLineCount(0)) { try form(5, lines: 0) }
        #expect(throws: VerseFormError.invalidCharactersPerHalf(0)) { try form(0, lines: 1) }

        let noComma = vocabulary.filter { $0 != "，" }
        #expect(throws: VerseFormError.notInVocabulary("，")) {
            try VerseForm(vocabulary: noComma, unknownToken: nil, charactersPerHalf: 5, lines: 1, acrostic: nil)
        }
        let noHan = ["\n", "，", "。", "a"]
        #expect(throws: VerseFormError.noHanCharacters) {
            try VerseForm(vocabulary: noHan, unknownToken: nil, charactersPerHalf: 5, lines: 1, acrostic: nil)
        }
        let noNewline = Array(vocabulary.dropFirst())
        #expect(throws: VerseFormError.notInVocabulary("\n")) {
            try VerseForm(vocabulary: noNewline, unknownToken: nil, charactersPerHalf: 5, lines: 2, acrostic: nil)
        }
        #expect(throws: Never.self) {  // one line needs no line break; free lines without a count neither
            _ = try VerseForm(vocabulary: noNewline, unknownToken: nil, charactersPerHalf: 7, lines: 1, acrostic: nil)
            _ = try VerseForm(vocabulary: noNewline, unknownToken: nil, charactersPerHalf: nil, lines: nil, acrostic: nil)
        }
    }

    @Test func errorMessagesAreOneLineAndNameTheToken() {
        let errors: [(VerseFormError, String)] = [
            (.notInVocabulary("雪"), "雪"), (.notInVocabulary("\n"), "\\n"),
            (.breaksForm(token: "\n", position: 4, expected: "a Han character"), "token 5"),
            (.acrosticCharacter("a", expected: "a Han character"), "\"a\""),
            (.acrosticMismatch(lines: 3, acrosticCount: 4), "4 characters"),
            (.noHanCharacters, "Han"), (.emptyAcrostic, "acrostic"), (.invalidLineCount(0), "0"),
            (.invalidCharactersPerHalf(-1), "-1"),
        ]
        for (error, mention) in errors {
            #expect(!error.description.contains("\n") && error.description.contains(mention), "\(error)")
        }
    }
}

extension VerseFormError {
    /// The position of a `breaksForm` error.
    var position: Int? {
        if case .breaksForm(_, let position, _) = self { return position }
        return nil
    }
}
