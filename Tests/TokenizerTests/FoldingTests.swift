// foldDiacriticsAndCase on hand-checked names: NFD, combining marks (Mn) dropped, lowercased, NFC.

import Testing
import Tokenizer

@Suite("Folding diacritics and case")
struct FoldingTests {
    /// The folded text's code points, so that canonical equivalents do not compare equal by accident.
    func folded(_ text: String) throws -> [Unicode.Scalar] {
        Array(try foldDiacriticsAndCase(text).unicodeScalars)
    }

    @Test func spellingsOfOneNameFoldTogether() throws {
        let nguyen = Array("nguyen".unicodeScalars)
        #expect(try folded("Nguyễn") == nguyen)
        #expect(try folded("Nguye\u{302}\u{303}n") == nguyen)  // decomposed input
        #expect(try folded("NGUYỄN") == nguyen && folded("Nguyen") == nguyen)
        #expect(try folded("José") == Array("jose".unicodeScalars))
        #expect(try folded("Müller") == Array("muller".unicodeScalars))
        #expect(try folded("Αγάθη") == Array("αγαθη".unicodeScalars))
        #expect(try folded("محمّد") == Array("محمد".unicodeScalars))  // shadda is a combining mark
        #expect(try folded("Йосиф") == Array("иосиф".unicodeScalars))  // й is и + combining breve
    }

    @Test func lettersWithoutMarksKeepTheirLetters() throws {
        // No canonical decomposition: the stroke or slash is part of the letter.
        #expect(try folded("Đặng") == Array("đang".unicodeScalars))
        #expect(try folded("Søren Łukasz") == Array("søren łukasz".unicodeScalars))
        // Hangul syllables decompose into conjoining jamo (letters, not marks) and recompose.
        #expect(try folded("김민준") == Array("김민준".unicodeScalars))
        #expect(try folded("王伟") == Array("王伟".unicodeScalars))
        #expect(try folded("Иванов") == Array("иванов".unicodeScalars))
        // Only nonspacing marks go: a spacing mark (Mc, the Devanagari vowel sign i) stays.
        #expect(try folded("कि") == Array("कि".unicodeScalars))
        #expect(try folded("") == [])
    }
}
