// MARK: - A name as typed, brought to the spelling the names corpus uses

/// `name` as the names corpus (`Corpora/names`) writes names: letters and combining marks, with
/// single spaces, ASCII hyphens and ASCII apostrophes between them. What people type around a
/// name is tidied to that, and the name itself is left alone:
///
/// - apostrophe look-alikes become `'`: the typographic `’` and `‘`, the modifier letter `ʼ`,
///   the grave and acute accents `` ` `` and `´`, and the prime `′` (`O’Brien` → `O'Brien`);
/// - hyphen and dash look-alikes become `-` (U+2010 to U+2015, the minus sign U+2212, the
///   small and full-width hyphen-minus: `Jean–Pierre` → `Jean-Pierre`); a soft hyphen (U+00AD)
///   is dropped;
/// - any other punctuation or symbol (Unicode General_Category P or S) is dropped:
///   `Smith.`, `(Berg)`, `"O'Brien"`, `St. John` → `Smith`, `Berg`, `O'Brien`, `St John`
///   (but U+FFFD, which `--lossy` puts for bytes that are not UTF-8, stays, and is read as a
///   letter the model never saw);
/// - every run of white space (any Unicode white space, the no-break space included) becomes
///   one space; spaces, hyphens and apostrophes are trimmed from both ends (but an apostrophe
///   before a lower-case letter stays at the start: `'s Gravensande`), and a space next
///   to a hyphen goes (`al - Rashid` → `al-Rashid`), as do repeated hyphens or apostrophes.
///   A space next to an apostrophe stays (`van 't Riet`).
///
/// Particles stay, in the case they were typed (`van den Berg`, `Ó Briain`, `al-Rashid`): the
/// corpus keeps compound names whole, so the classifier has read them with their particles.
/// Digits, letters of any script and combining marks are kept, so a letter the model never saw
/// is still reported as one. Every line of the names corpus is unchanged by this function.
///
/// - Parameter name: a name as typed.
/// - Returns: the name in the corpus's spelling; empty when it has no letter, mark or digit.
public func nameSpelling(_ name: String) -> String {
    var scalars: [Unicode.Scalar] = []
    scalars.reserveCapacity(name.unicodeScalars.count)
    for scalar in name.unicodeScalars {
        let mapped: Unicode.Scalar?
        switch scalar.value {
        case 0x27, 0x2019, 0x2018, 0x02BC, 0x60, 0xB4, 0x2032: mapped = "'"
        case 0x2D, 0x2010...0x2015, 0x2212, 0xFE63, 0xFF0D: mapped = "-"
        case 0xAD: mapped = nil
        case 0xFFFD: mapped = scalar   // what --lossy put for bytes that were not UTF-8: kept
        default:
            if scalar.properties.isWhitespace {
                mapped = " "
            } else {
                switch scalar.properties.generalCategory {
                case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                     .initialPunctuation, .finalPunctuation, .otherPunctuation,
                     .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol,
                     .control, .format:
                    mapped = nil
                default:
                    mapped = scalar
                }
            }
        }
        guard let next = mapped else { continue }
        if let last = scalars.last {
            if next == last && (next == " " || next == "-" || next == "'") { continue }   // "  ", "--", "''"
            if (next == " " && last == "-") { continue }                                   // "- " → "-"
            if (next == "-" && last == " ") { scalars[scalars.count - 1] = "-"; continue } // " -" → "-"
        } else if next == " " || next == "-" {
            continue
        }
        scalars.append(next)
    }
    while let last = scalars.last, last == " " || last == "-" || last == "'" { scalars.removeLast() }
    // A leading apostrophe stays only before a lower-case letter, as in Dutch 's Gravensande and
    // 't Hooft; before anything else it is a quotation mark ('Brien', ‘Smith’).
    while scalars.first == "'" && !(scalars.count > 1 && scalars[1].properties.isLowercase) {
        scalars.removeFirst()
        while scalars.first == " " || scalars.first == "-" { scalars.removeFirst() }
    }
    var result = ""
    result.unicodeScalars.append(contentsOf: scalars)
    return result
}
