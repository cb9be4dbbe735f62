// Regulated verse end to end: `charrnn verse` on classic poems, and `charrnn generate
// --regulated` from the shipped Tang model, checked by the library's checker and by `verse`.

import CharRNN
import Foundation
import Testing
import TestSupport

@Suite("charrnn verse and generate --regulated")
struct VerseCommandTests {
    static let poems = """
        床前明月光，疑是地上霜。
        举头望明月，低头思故乡。

        白日依山尽，黄河入海流。欲穷千里目，更上一层楼。

        不是诗
        """

    @Test func textReportOfClassicPoems() throws {
        let file = try TemporaryFile(Self.poems)
        let run = try charrnn(["verse", file.path])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("poem 1 (5 characters, 4 verses): breaks 3, 4, 5; closest pattern 平起首句入韵 (3 mismatches); rhyme 唐"))
        #expect(lines.contains("  疑是地上霜  平仄仄仄平  (⊙仄仄平平)  rhyme 唐  breaks 3 (2nd/4th(/6th) characters alternate)"))
        #expect(lines.contains("poem 2 (5 characters, 4 verses): keeps every rule; closest pattern 仄起首句不入韵 (0 mismatches); rhyme 尤"))
        #expect(lines.contains("  更上一层楼  仄仄仄平平  (⊙仄仄平平)  rhyme 尤"))
        #expect(lines.contains { $0.hasPrefix("poem 3: not checked: verse 1 has 3 characters") })
        #expect(lines.last == "3 poems, 2 checked (1 not couplets of 5 or 7 Han characters); 1 (50.0%) keep every rule; "
            + "keeping each rule: 1: 100.0%, 2: 100.0%, 3: 50.0%, 4: 50.0%, 5: 50.0%, 6: 100.0%")
    }

    @Test func jsonReportFromStandardInput() throws {
        let run = try charrnn(["verse", "-", "--format", "json"], input: Array(Self.poems.utf8))
        #expect(run.status == 0, "\(run.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let poems = try #require(document["poems"] as? [[String: Any]])
        #expect(poems.count == 3)
        let verses = try #require(poems[0]["verses"] as? [[String: Any]])
        #expect(verses.map { $0["tones"] as? String } == ["平平平仄平", "平仄仄仄平", "仄平仄平仄", "平平平仄平"])
        #expect(verses.map { $0["breaks"] as? [Int] } == [[], [3], [3, 5], [4]])
        #expect(verses[0]["groups"] as? [String] == ["唐", "寒", "庚", "皆", "唐"])  // chuáng qián míng yuè guāng
        #expect(poems[1]["passes"] as? Bool == true && poems[1]["pattern"] as? String == "仄起")
        #expect(poems[2]["error"] is String)
        let summary = try #require(document["summary"] as? [String: Any])
        #expect(summary["passing"] as? Int == 1 && summary["checked"] as? Int == 2)
        #expect(summary["keeping"] as? [Int] == [2, 2, 1, 1, 1, 2])
    }

    @Test func withoutTheEnteringTone() throws {
        let run = try charrnn(["verse", "--no-entering-tone", "-"], input: Array("白日依山尽，黄河入海流。欲穷千里目，更上一层楼。".utf8))
        #expect(run.status == 0)
        #expect(run.stdout.contains("  更上一层楼  仄仄平平平  (⊙仄仄平平)  rhyme 尤  breaks 6 (no 三平尾)"))
    }

    @Test func missingFile() throws {
        let run = try charrnn(["verse", "/nonexistent/poems.txt"])
        #expect(run.status == 1)
        #expect(run.stderr.split(separator: "\n").count == 1)
    }

    // MARK: - generate --regulated from the shipped model (a few short poems: debug builds are slow)

    static let model = packageRoot + "/Models/tang.safetensors"

    @Test(arguments: [
        (["--form", "5", "--lines", "2", "--temperature", "0.8", "--rng-seed", "1"], nil as String?, nil as String?),
        (["--form", "7", "--lines", "2", "--temperature", "1.0", "--rng-seed", "2", "--acrostic", "春风"], nil, nil),
        (["--form", "5", "--lines", "2", "--temperature", "0.5", "--rng-seed", "3", "--pattern", "平起", "--rhyme", "唐"],
         "平起首句不入韵", "唐"),
    ])
    func regulatedPoemsPassTheChecker(arguments: [String], pattern: String?, rhyme: String?) throws {
        let run = try charrnn(["generate", "--model", Self.model, "--regulated"] + arguments)
        #expect(run.status == 0, "\(run.stderr)")
        let poem = run.stdout.trimmingCharacters(in: .newlines)
        let lines = poem.split(separator: "\n")
        #expect(lines.count == 2)
        let analysis = try checkVerse(poem)
        #expect(analysis.passes, "\(poem): breaks \(analysis.brokenRules)")
        if let i = arguments.firstIndex(of: "--acrostic") { #expect(lines.map { String($0.first!) } == arguments[i + 1].map(String.init)) }
        // The note on standard error names the pattern and rhyme.
        let note = try #require(run.stderr.split(separator: "\n").first { $0.contains("pattern") })
        if let pattern { #expect(note.contains("pattern \(pattern),")) }
        if let rhyme {
            #expect(note.hasSuffix("rhyme \(rhyme)") || note.contains("rhyme \(rhyme) "))
            #expect(analysis.rhyme.contains(RhymeGroups(RhymeGroup(name: rhyme)!)))
        }
        // `charrnn verse` agrees.
        let check = try charrnn(["verse", "-"], input: Array(run.stdout.utf8))
        #expect(check.stdout.contains("keeps every rule"))
        // The same rng seed writes the same poem.
        #expect(try charrnn(["generate", "--model", Self.model, "--regulated"] + arguments).stdout == run.stdout)
    }

    /// The example of README.md and the getting-started article, from the library and the tool.
    @Test func theDocumentedRegulatedAcrostic() throws {
        let documented = "春泛绿萍烟，馀芳日已残。\n夏晴春色满，烟火月光圆。\n秋霁湖山静，风光浪迥鲜。\n冬来归在社，列宿共春烟。"
        var options = GenerationOptions()
        (options.form, options.lines, options.acrostic, options.regulated) = (5, 4, "春夏秋冬", true)
        var rng = SeededGenerator(seed: 4)
        let poem = try LanguageModel(contentsOf: Self.model).generate(options: options, using: &rng)
        #expect(poem.samples == [documented])
        #expect(poem.verses.first?.pattern.fullName == "仄起首句入韵")
        let analysis = try checkVerse(documented)
        #expect(analysis.passes && analysis.rhyme.names == "寒")
        #expect(analysis.verses[0].tones.map(\.symbol).joined() == "平仄仄平平")
        let run = try charrnn(["generate", "--model", Self.model, "--form", "5", "--lines", "4", "--regulated",
                               "--acrostic", "春夏秋冬", "--rng-seed", "4"])
        #expect(run.stdout == documented + "\n")
        #expect(run.stderr == "charrnn: pattern 仄起首句入韵, rhyme 寒\n")
    }

    @Test func jsonNotesTheVerse() throws {
        let run = try charrnn(["generate", "--model", Self.model, "--regulated", "--form", "5", "--lines", "2",
                               "--rng-seed", "4", "--format", "json", "--bits"])
        #expect(run.status == 0, "\(run.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let sample = try #require((document["samples"] as? [String])?.first)
        #expect(try checkVerse(sample).passes)
        let verse = try #require((document["verses"] as? [[String: Any]])?.first)
        #expect(VersePattern(name: try #require(verse["pattern"] as? String)) != nil)
        #expect((verse["drafts"] as? Int ?? 0) >= 1)
        let bits = try #require((document["bits_per_token"] as? [Double])?.first)
        #expect(bits > 0 && bits < 20)
    }

    @Test(arguments: [
        (["--form", "5", "--pattern", "平仄"], "no pattern \"平仄\""),
        (["--form", "5", "--rhyme", "光"], "no rhyme group \"光\""),
        ([] as [String], "--regulated needs --form 5 or 7"),
        (["--form", "5", "--lines", "2", "--acrostic", "月天", "--pattern", "平起入韵"],
         "the acrostic character \"月\" (仄) cannot begin line 1 in the pattern 平起入韵"),
    ])
    func badRegulatedArguments(arguments: [String], message: String) throws {
        let run = try charrnn(["generate", "--model", Self.model, "--regulated"] + arguments)
        #expect(run.status != 0 && run.status < 128)
        #expect(run.stderr.contains(message), "\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    @Test func aSeedThatBreaksThePatternPrintsNothing() throws {
        let run = try charrnn(["generate", "--model", Self.model, "--regulated", "--form", "5", "--seed", "天天",
                               "--pattern", "仄起"])
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("\"天\" (token 2 of the verse) breaks the form: expected a 仄 character (pattern 仄起)"))
    }

    @Test func patternWithoutRegulated() throws {
        let run = try charrnn(["generate", "--model", Self.model, "--form", "5", "--pattern", "平起"])
        #expect(run.status != 0 && run.status < 128)
        #expect(run.stderr.contains("--pattern needs --regulated"))
    }
}
