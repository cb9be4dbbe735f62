// Tokens of hand-checked examples: the cases a user sees first.

import Testing
import Tokenizer

@Suite("Tokenizer")
struct TokenizerTests {
    @Test func graphemeClusters() throws {
        let tokenizer = try Tokenizer(unit: .grapheme)
        // e + COMBINING ACUTE composes to é under NFC; a family emoji joined by ZWJ and a flag
        // (two regional indicators) are one letter each.
        #expect(try tokenizer.tokens("e\u{301}") == ["\u{E9}"])
        #expect(try tokenizer.tokens("👨‍👩‍👧") == ["👨‍👩‍👧"])
        #expect(try tokenizer.tokens("🇨🇳🇫🇷") == ["🇨🇳", "🇫🇷"])
        #expect(try tokenizer.tokens("床前明月光，疑是地上霜。") == "床前明月光，疑是地上霜。".map(String.init))
        #expect(try tokenizer.tokens("a\r\nb") == ["a", "\r\n", "b"])
        // A character outside the BMP (CJK Extension B) is one token.
        #expect(try tokenizer.tokens("𡵓山") == ["𡵓", "山"])
        #expect(try tokenizer.tokens("") == [])
    }

    @Test func graphemeSegmentationWithoutNormalization() throws {
        let tokenizer = try Tokenizer(unit: .grapheme)
        let decomposed = "e\u{301}"
        let raw = try tokenizer.segment(decomposed)
        #expect(raw.count == 1)
        #expect(Array(raw[0].unicodeScalars) == ["e", "\u{301}"])
    }

    @Test func chineseWords() throws {
        let tokenizer = try Tokenizer(unit: .word)
        // ICU's dictionary segmentation of well-known lines (ICU 72 data).
        #expect(try tokenizer.tokens("床前明月光，疑是地上霜。")
            == ["床", "前", "明", "月光", "，", "疑", "是", "地上", "霜", "。"])
        #expect(try tokenizer.tokens("我们在北京大学学习中文。")
            == ["我们", "在", "北京", "大学", "学习", "中文", "。"])
        #expect(try tokenizer.tokens("今天天气很好。") == ["今天", "天气", "很好", "。"])
    }

    @Test func englishWordsKeepSpacesAndPunctuation() throws {
        let tokenizer = try Tokenizer(unit: .word)
        let line = "The fox can’t jump 32.3 feet, right?"
        let tokens = try tokenizer.tokens(line)
        #expect(tokens == ["The", " ", "fox", " ", "can’t", " ", "jump", " ", "32.3", " ", "feet", ",", " ",
                           "right", "?"])
        #expect(tokens.joined() == line)
    }

    @Test func tokensConcatenateToTheNormalizedText() throws {
        let text = "Ame\u{301}lie 👨‍👩‍👧 vit à Paris.\n春眠不觉晓，处处闻啼鸟。\tΩmega ﬁ ㈱ Å"
        for unit in TokenUnit.allCases {
            let tokenizer = try Tokenizer(unit: unit)
            let normalized = try tokenizer.normalize(text)
            #expect(try tokenizer.tokens(text).joined() == normalized)
            #expect(normalized.unicodeScalars.contains("\u{E9}"))
            // NFC keeps compatibility characters (ﬁ, ㈱) and maps the Angstrom sign to Å.
            #expect(normalized.contains("ﬁ") && normalized.contains("㈱"))
            #expect(!normalized.unicodeScalars.contains("\u{212B}"))
        }
    }

    @Test func lowercasing() throws {
        let tokenizer = try Tokenizer(unit: .grapheme, caseMapping: .lower)
        #expect(try tokenizer.tokens("ÄBC Straße ΣΑΣ") == "äbc straße σας".map(String.init))
        #expect(try Tokenizer(unit: .word, caseMapping: .lower).tokens("Hello World") == ["hello", " ", "world"])
    }
}
