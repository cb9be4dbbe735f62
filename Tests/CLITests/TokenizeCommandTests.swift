// The built charrnn binary, run end to end as a user runs it.

import Foundation
import TestSupport
import Testing

/// The result of one run of the tool.
typealias Run = ProgramRun

/// The charrnn binary built next to this test bundle.
let charrnnURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    .appendingPathComponent("charrnn")

/// Runs the charrnn binary, with `input` on standard input.
func charrnn(_ arguments: [String], input: [UInt8] = []) throws -> Run {
    try runProgram(charrnnURL, arguments, input: input)
}

@Suite("charrnn tokenize")
struct TokenizeCommandTests {
    static let examples = "e\u{301}\n👨‍👩‍👧\n🇨🇳\n床前明月光，疑是地上霜。\r\n\nA b"

    @Test func jsonlGraphemes() throws {
        let run = try charrnn(["tokenize", "--format", "jsonl"], input: Array(Self.examples.utf8))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.isEmpty)
        let expected = """
            ["é"]
            ["👨‍👩‍👧"]
            ["🇨🇳"]
            ["床","前","明","月","光","，","疑","是","地","上","霜","。"]
            []
            ["A"," ","b"]

            """
        #expect(run.stdout == expected)
        // The é is the precomposed U+00E9 (NFC), not e + U+0301.
        #expect(run.stdout.unicodeScalars.contains("\u{E9}"))
        #expect(!run.stdout.unicodeScalars.contains("\u{301}"))
    }

    @Test func jsonlWords() throws {
        let run = try charrnn(["tokenize", "-", "--unit", "word", "--format", "jsonl"], input: Array(Self.examples.utf8))
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count == 7)
        #expect(lines[3] == #"["床","前","明","月光","，","疑","是","地上","霜","。"]"#)
        #expect(lines[5] == #"["A"," ","b"]"#)
    }

    @Test func jsonIsOneDocumentOfLineArrays() throws {
        let input = "春眠\n\"引号\"\\ \t\u{1}\n"
        let run = try charrnn(["tokenize", "--format", "json"], input: Array(input.utf8))
        #expect(run.status == 0, "\(run.stderr)")
        let parsed = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String]]
        #expect(parsed == [["春", "眠"], ["\"", "引", "号", "\"", "\\", " ", "\t", "\u{1}"]])
    }

    @Test func textShowsWhitespace() throws {
        let run = try charrnn(["tokenize", "--unit", "word"], input: Array("Hello, world\tend\n".utf8))
        #expect(run.stdout == "Hello , ␠ world ␉ end\n")
    }

    @Test func statsOnAShippedCorpus() throws {
        let path = packageRoot + "/Corpora/tang300.txt"
        let run = try charrnn(["tokenize", path, "--stats", "--format", "json", "--top", "3"])
        #expect(run.status == 0, "\(run.stderr)")
        let stats = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(stats["bytes"] as? Int == text.utf8.count)
        #expect(stats["tokens"] as? Int == text.count)  // NFC text: Swift's Characters are the graphemes
        #expect(stats["characters"] as? Int == text.count)
        #expect(stats["distinct"] as? Int == Set(text).count)
        #expect(stats["lines"] as? Int == text.utf8.count { $0 == 0x0A })
        let top = try #require(stats["top"] as? [[String: Any]])
        #expect(top.map { $0["token"] as? String } == ["\n", "，", "。"])
        let coverage = try #require(stats["coverage"] as? [[String: Any]])
        #expect(coverage.last?["share"] as? Double == 1.0)

        let human = try charrnn(["tokenize", path, "--stats"])
        #expect(human.status == 0)
        #expect(human.stdout.contains("distinct") && human.stdout.contains("99% of tokens need"))
    }

    @Test func errorsAreOneLineAndNonZero() throws {
        let missing = try charrnn(["tokenize", "/no/such/corpus.txt"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("/no/such/corpus.txt") && missing.stderr.contains("No such file"))
        #expect(missing.stderr.trimmingCharacters(in: .newlines).split(separator: "\n").count == 1)

        let bad: [UInt8] = Array("ok\nbad ".utf8) + [0xC3, 0x28] + Array("\n".utf8)
        let invalid = try charrnn(["tokenize"], input: bad)
        #expect(invalid.status != 0)
        #expect(invalid.stderr.contains("<stdin>") && invalid.stderr.contains("byte 7") && invalid.stderr.contains("line 2"))
        #expect(invalid.stderr.trimmingCharacters(in: .newlines).split(separator: "\n").count == 1)

        let lossy = try charrnn(["tokenize", "--lossy", "--format", "jsonl"], input: bad)
        #expect(lossy.status == 0)
        #expect(lossy.stdout == "[\"o\",\"k\"]\n[\"b\",\"a\",\"d\",\" \",\"\u{FFFD}\",\"(\"]\n")
        #expect(lossy.stderr.contains("replaced 1 invalid UTF-8"))

        let empty = try charrnn(["tokenize"])
        #expect(empty.status != 0 && empty.stderr.contains("empty"))

        let wrongFlag = try charrnn(["tokenize", "--unit", "letter"])
        #expect(wrongFlag.status != 0 && wrongFlag.stderr.contains("grapheme"))
    }

    @Test func helpDescribesTheOptions() throws {
        let run = try charrnn(["tokenize", "--help"])
        #expect(run.status == 0)
        for option in ["--unit", "--format", "--stats", "--lossy", "--case", "grapheme", "jsonl"] {
            #expect(run.stdout.contains(option), "help lacks \(option)")
        }
        let root = try charrnn(["--help"])
        #expect(root.stdout.contains("tokenize"))
    }
}
