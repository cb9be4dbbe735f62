// MARK: - Folding diacritics and case: one key for the spellings of one name

/// `text` with its diacritics and case folded away: NFD, combining marks (General_Category Mn)
/// dropped, lowercased (root locale, full case mapping), NFC. "Nguyễn", "NGUYEN" and "Nguyen" all
/// become "nguyen", "José" and "Jose" become "jose".
///
/// Only marks that NFD splits off go: letters with no decomposition stay as they are ("đ", "ø",
/// "ł"), and text without combining marks (hanzi, Hangul, most Cyrillic) only changes case. Used
/// to keep the spellings of one name together when names are split into training and held-out.
///
/// - Throws: `ICUError` when ICU's normalization data is missing.
public func foldDiacriticsAndCase(_ text: String) throws(ICUError) -> String {
    var bytes = Array(text.utf8)
    try normalizeNFD(&bytes)
    let marksDropped = String(decoding: bytes, as: UTF8.self).unicodeScalars
        .filter { $0.properties.generalCategory != .nonspacingMark }
    bytes = Array(String(marksDropped).utf8)
    try lowercase(&bytes)
    try normalizeNFC(&bytes)
    return String(decoding: bytes, as: UTF8.self)
}
