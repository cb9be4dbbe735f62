// MARK: - How wide text is on a terminal: the one rule the tables, the progress line and the plots share

/// How many terminal columns `text` takes: two per East Asian wide character, none for a lone
/// combining mark or format character, one for anything else (per grapheme cluster).
public func terminalColumns(of text: String) -> Int {
    text.reduce(0) { $0 + terminalColumns(of: $1) }
}

/// How many terminal columns one grapheme cluster takes (0, 1 or 2).
public func terminalColumns(of character: Character) -> Int {
    guard let first = character.unicodeScalars.first else { return 0 }
    switch first.properties.generalCategory {
    case .nonspacingMark, .enclosingMark, .format: return 0
    default: return character.unicodeScalars.contains(where: occupiesTwoColumns) ? 2 : 1
    }
}

/// Whether a terminal shows `scalar` two columns wide: CJK ideographs, kana, Hangul syllables,
/// CJK punctuation, full-width forms, emoji. A rough East Asian Width test, enough for a table.
private func occupiesTwoColumns(_ scalar: Unicode.Scalar) -> Bool {
    if scalar.properties.isIdeographic || scalar.properties.isEmojiPresentation { return true }
    switch scalar.value {
    case 0x1100...0x115F,  // Hangul Jamo initial consonants
         0x2E80...0x303E,  // CJK radicals, ideographic description, CJK symbols and punctuation
         0x3041...0x33FF,  // kana, bopomofo, Hangul compatibility Jamo, CJK compatibility
         0xA960...0xA97F,  // Hangul Jamo extended A
         0xAC00...0xD7A3,  // Hangul syllables
         0xFE30...0xFE4F,  // CJK compatibility forms
         0xFF01...0xFF60,  // full-width forms
         0xFFE0...0xFFE6:  // full-width signs
        return true
    default:
        return false
    }
}
