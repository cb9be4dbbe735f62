// Regulated verse forms driven by a uniform random sampler over a small vocabulary whose tones
// are known: every completed verse is checked with the Verse module's checker, independently of
// the form's own bookkeeping.

import Sampling
import Tensor
import Testing
import Verse

/// Punctuation, five level characters (天 山: 寒; 风 红: 庚; 花: 麻) and five oblique ones
/// (月 地 雪 万 远).
let regulatedVocabulary = ["\n", "，", "。", "天", "山", "风", "红", "花", "月", "地", "雪", "万", "远"]

func regulatedForm(_ n: Int, lines: Int, acrostic: String? = nil, pattern: VersePattern? = nil,
                   rhyme: RhymeGroup? = nil, vocabulary: [String] = regulatedVocabulary) throws(VerseFormError) -> VerseForm {
    try VerseForm(vocabulary: vocabulary, unknownToken: nil, charactersPerHalf: n, lines: lines,
                  acrostic: acrostic.map { $0.map(String.init) }, regulation: Regulation(pattern: pattern, rhyme: rhyme))
}

/// Completes the form with uniform draws among what it allows; returns the text.
func completeRegulated(_ form: inout VerseForm, seed: String = "", rng: inout SeededGenerator,
                       vocabulary: [String] = regulatedVocabulary) throws -> String {
    var text = seed
    for c in seed { try form.advance(vocabulary.firstIndex(of: String(c))!) }
    let flat = [Float](repeating: 0, count: vocabulary.count)
    while true {
        switch form.next() {
        case .done: return text
        case .free: Issue.record("a fixed form is never free"); return text
        case .only(let allowed):
            let id = sampleToken(logits: flat, settings: SamplingSettings(temperature: 1), mask: allowed, using: &rng)
            try form.advance(id)
            text += vocabulary[id]
        }
    }
}

@Suite("Regulated verse forms")
struct RegulatedFormTests {
    @Test(arguments: [5, 7])
    func everyCompletedVerseKeepsTheRules(n: Int) throws {
        var rng = SeededGenerator(seed: UInt64(n))
        var patternsSeen: Set<VersePattern> = []
        for lines in 1...4 {
            for acrostic in [nil, String("天月风雪".prefix(lines))] {
                for _ in 0..<40 {
                    var form = try regulatedForm(n, lines: lines, acrostic: acrostic)
                    let text = try completeRegulated(&form, rng: &rng)
                    let analysis = try checkVerse(text)
                    #expect(analysis.passes, "\(text): \(analysis.brokenRules)")
                    // With five characters of each tone, uniform draws would often repeat one three
                    // times in a row; the form never lets them.
                    let letters = Array(text)
                    #expect(!letters.indices.dropLast(2).contains { letters[$0] == letters[$0 + 1] && letters[$0] == letters[$0 + 2] },
                            "\(text)")
                    let pattern = try #require(form.patterns?.first)
                    patternsSeen.insert(pattern)
                    // The pattern the form reports is one the verse keeps at every position.
                    #expect(VersePattern.all.contains(analysis.closestPattern) && analysis.patternMismatches == 0)
                    for (v, verse) in analysis.verses.enumerated() {
                        let slots = pattern.slots(verse: v, charactersPerVerse: n)
                        #expect(zip(slots, verse.tones).allSatisfy { $0.allows($1) }, "\(text) against \(pattern)")
                    }
                    if let acrostic {
                        #expect(text.split(separator: "\n").map { String($0.first!) } == acrostic.map(String.init))
                    }
                }
            }
        }
        #expect(patternsSeen.count == 4, "the first draws choose among all four patterns: \(patternsSeen)")
    }

    @Test func aChosenPatternAndRhymeAreKept() throws {
        var rng = SeededGenerator(seed: 9)
        for pattern in VersePattern.all {
            for _ in 0..<20 {
                var form = try regulatedForm(5, lines: 4, pattern: pattern, rhyme: .geng)
                let text = try completeRegulated(&form, rng: &rng)
                let analysis = try checkVerse(text)
                #expect(analysis.passes)
                for (v, verse) in analysis.verses.enumerated() {
                    #expect(zip(pattern.slots(verse: v, charactersPerVerse: 5), verse.tones).allSatisfy { $0.allows($1) })
                    if pattern.rhymes(verse: v) { #expect(["风", "红"].contains(verse.characters[4]), "\(text)") }
                }
                #expect(form.rhyme == RhymeGroups(.geng))
            }
        }
    }

    @Test func anAcrosticCharacterThatCannotFit() throws {
        // 平起入韵 begins with 平平⊙仄平: the oblique 月 cannot begin it.
        #expect(throws: VerseFormError.acrosticBreaksPattern("月", line: 1, tone: .oblique, patterns: [VersePattern(name: "平起入韵")!])) {
            try regulatedForm(5, lines: 2, acrostic: "月天", pattern: VersePattern(name: "平起入韵")!)
        }
        let message = VerseFormError.acrosticBreaksPattern("月", line: 1, tone: .oblique, patterns: [VersePattern(name: "平起入韵")!]).description
        #expect(message == "the acrostic character \"月\" (仄) cannot begin line 1 in the pattern 平起入韵: choose another character or another --pattern")
        // Without a pattern, the other three remain.
        var form = try regulatedForm(5, lines: 2, acrostic: "月天")
        #expect(form.patterns?.count == 3)
        var rng = SeededGenerator(seed: 1)
        #expect(try checkVerse(completeRegulated(&form, rng: &rng)).passes)
    }

    @Test func aSeedThatBreaksThePattern() throws {
        var form = try regulatedForm(5, lines: 1, pattern: VersePattern(name: "仄起")!)
        try form.advance(regulatedVocabulary.firstIndex(of: "天")!)  // position 1 is free
        #expect(throws: VerseFormError.breaksForm(token: "天", position: 1, expected: "a 仄 character (pattern 仄起)")) {
            try form.advance(regulatedVocabulary.firstIndex(of: "天")!)
        }
    }

    /// A seed may hold a character twice in a row (叠字), not three times.
    @Test func aSeedWithACharacterThreeTimesInARow() throws {
        var form = try regulatedForm(5, lines: 2, pattern: VersePattern(name: "平起")!)
        for c in "天天" { try form.advance(regulatedVocabulary.firstIndex(of: String(c))!) }
        if case .only(let allowed) = form.next() { #expect(!allowed.contains(regulatedVocabulary.firstIndex(of: "天")!)) }
        #expect(throws: VerseFormError.self) { try form.advance(regulatedVocabulary.firstIndex(of: "天")!) }
        do {
            try form.advance(regulatedVocabulary.firstIndex(of: "天")!)
        } catch {
            #expect("\(error)".contains("not three in a row"), "\(error)")
        }
    }

    @Test func aVocabularyWithNothingThatFits() throws {
        // Only oblique characters: 月地月 fits only 仄起入韵 (⊙仄仄平平), which then asks for 平.
        let vocabulary = ["\n", "，", "。", "月", "地"]
        var form = try regulatedForm(5, lines: 1, vocabulary: vocabulary)
        for id in [3, 4, 3] { try form.advance(id) }
        #expect(form.patterns == [VersePattern(name: "仄起入韵")!])
        guard case .only(let mask) = form.next() else { Issue.record("expected a mask"); return }
        #expect(mask.allowedCount == 0)
        #expect(form.expectation == "a 平 character (pattern 仄起入韵)")
    }

    @Test func regulatedVerseNeedsFiveOrSevenCharacters() {
        #expect(throws: VerseFormError.regulatedNeedsForm) { try regulatedForm(6, lines: 1) }
        #expect(throws: VerseFormError.regulatedNeedsForm) {
            try VerseForm(vocabulary: regulatedVocabulary, unknownToken: nil, charactersPerHalf: nil, lines: 2,
                          acrostic: nil, regulation: Regulation())
        }
    }
}
