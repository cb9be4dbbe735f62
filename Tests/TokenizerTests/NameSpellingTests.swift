// nameSpelling: a name as typed brought to the corpus's spelling (what `classify` reads).

import Foundation
import Testing
import TestSupport
import Tokenizer

@Suite("Name spelling")
struct NameSpellingTests {
    @Test(arguments: [
        ("O’Brien", "O'Brien"), ("O‘Brien", "O'Brien"), ("Oʼ Neill", "O' Neill"),
        ("Jean–Pierre", "Jean-Pierre"), ("Jean—Pierre", "Jean-Pierre"), ("Jean‐Pierre", "Jean-Pierre"),
        ("Jean - Pierre", "Jean-Pierre"), ("al -- Rashid", "al-Rashid"), ("al‑Rashid", "al-Rashid"),
        ("  van  den\u{00A0}Berg\t", "van den Berg"), ("van 't Riet", "van 't Riet"), ("Ó Briain", "Ó Briain"),
        ("Smith.", "Smith"), ("(Berg)", "Berg"), ("\"O'Brien\"", "O'Brien"), ("St. John", "St John"),
        ("'Brien-", "Brien"), ("‘Smith’", "Smith"), ("'s Gravensande", "'s Gravensande"), ("’t Hooft", "'t Hooft"), ("Schmidt, Hans", "Schmidt Hans"), ("Mül\u{00AD}ler", "Müller"),
        ("O''Brien", "O'Brien"), ("王伟", "王伟"), ("Koch 2", "Koch 2"), ("...", ""), ("", ""), ("\u{FFFD}", "\u{FFFD}"), ("Sch\u{FFFD}dt", "Sch\u{FFFD}dt"),
    ])
    func tidiesWhatIsTypedAroundAName(typed: String, expected: String) {
        #expect(nameSpelling(typed) == expected, "\(typed)")
    }

    @Test func everyCorpusNameIsUnchanged() throws {
        let folder = packageRoot + "/Corpora/names"
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".txt") }
        #expect(files.count == 17)
        var checked = 0
        for file in files {
            let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
            for line in text.split(separator: "\n") {
                #expect(nameSpelling(String(line)) == String(line), "\(file): \(line)")
                checked += 1
            }
        }
        #expect(checked > 30_000)
    }
}
