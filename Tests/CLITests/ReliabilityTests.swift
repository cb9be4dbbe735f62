// Hostile arguments: sizes that cannot be allocated, outputs that would destroy inputs or
// devices, two runs on one output. Each gets one line and a status from 1 to 127.

import Foundation
import Testing
import TestSupport

@Suite("Hostile arguments")
struct ReliabilityTests {
    static let text = String(repeating: "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n\n", count: 12)

    /// One line on stderr, a status in 1…127, and `expected` in it.
    static func refused(_ run: Run, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect((1...127).contains(run.status), "status \(run.status): \(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.stderr.contains(expected), "\(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.stderr.split(separator: "\n").count == 1, "one line: \(run.stderr)", sourceLocation: sourceLocation)
    }

    @Test func sizesBeyondTheLimitsOrTheMachineAreRefusedBeforeAnythingIsAllocated() throws {
        let corpus = try TemporaryFile(Self.text)
        let out = (corpus.path as NSString).deletingLastPathComponent + "/big.safetensors"
        let train = ["train", "--corpus", corpus.path, "--out", out]
        Self.refused(try charrnn(train + ["--hidden", "100000"]), "--hidden must be at most 65536")
        Self.refused(try charrnn(train + ["--hidden", "4611686018427387904"]), "--hidden must be at most")
        Self.refused(try charrnn(train + ["--layers", "1000000", "--hidden", "1"]), "--layers must be at most 64")
        Self.refused(try charrnn(train + ["--batch-size", "9223372036854775807"]), "--batch-size must be at most")
        Self.refused(try charrnn(train + ["--seq-length", "9223372036854775000"]), "--seq-length must be at most")
        Self.refused(try charrnn(train + ["--hidden", "60000", "--layers", "64", "--batch-size", "60000", "--seq-length", "60000"]),
                     "GB; this machine has")
        Self.refused(try charrnn(train + ["--hidden", "65536", "--batch-size", "4", "--seq-length", "8", "--threads", "1"]),
                     "this machine has")
        Self.refused(try charrnn(train + ["--lr", "inf"]), "--lr must be a positive number")
        Self.refused(try charrnn(train + ["--clip", "nan"]), "--clip must be a number")
        Self.refused(try charrnn(["train-classifier", "--data", "/nonexistent", "--out", out, "--batch-size", "9223372036854775807"]),
                     "--batch-size must be at most")
        Self.refused(try charrnn(["train-generator", "--data", "/nonexistent", "--out", out, "--hidden", "3037000500"]),
                     "--hidden must be at most")
        Self.refused(try charrnn(train + ["--out", "/proc/version", "--steps", "1"]), "cannot create")
        let generate = try charrnn(["generate", "--model", packageRoot + "/Models/kjv.safetensors", "--samples", "100000000"])
        Self.refused(generate, "--samples must be from 1 to")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func sizesAtTheLimitsAreAccepted() throws {
        let corpus = try TemporaryFile(Self.text)
        let out = (corpus.path as NSString).deletingLastPathComponent + "/edge.safetensors"
        let deep = try charrnn(["train", "--corpus", corpus.path, "--out", out, "--layers", "64", "--hidden", "2", "--steps", "1",
                                "--batch-size", "2", "--seq-length", "4", "--threads", "1"])
        #expect(deep.status == 0, "\(deep.stderr)")
        let many = try charrnn(["generate", "--model", out, "--samples", "10000", "--length", "1",
                                "--rng-seed", "1", "--format", "json"])
        #expect(many.status == 0, "\(many.stderr)")
        let samples = try #require((try JSONSerialization.jsonObject(with: Data(many.stdout.utf8)) as? [String: [String]])?["samples"])
        #expect(samples.count == 10_000)
    }

    @Test func hugeLimitsAndRatesEndRunsNormally() throws {
        let corpus = try TemporaryFile(Self.text)
        let folder = (corpus.path as NSString).deletingLastPathComponent
        let small = ["--hidden", "8", "--batch-size", "4", "--seq-length", "8"]
        let epochs = try charrnn(["train", "--corpus", corpus.path, "--out", folder + "/e.safetensors", "--epochs",
                                  "9223372036854775807", "--max-time", "1", "--patience", "0"] + small)
        #expect(epochs.status == 0 && epochs.stderr.contains("time limit"), "\(epochs.stderr)")
        let wild = try charrnn(["train", "--corpus", corpus.path, "--out", folder + "/w.safetensors", "--lr", "1e30",
                                "--steps", "3"] + small)
        #expect(wild.status == 0 && wild.stderr.contains("not below the letter-frequency baseline"), "\(wild.stderr)")
    }

    @Test func aTimeLimitOfInfinityIsNoLimit() throws {
        let corpus = try TemporaryFile(Self.text)
        let out = (corpus.path as NSString).deletingLastPathComponent + "/inf.safetensors"
        let run = try charrnn(["train", "--corpus", corpus.path, "--out", out, "--max-time", "inf", "--steps", "2", "--hidden", "8",
                               "--batch-size", "4", "--seq-length", "8"])
        #expect(run.status == 0, "\(run.stderr)")
    }

    @Test func outputsNeverOverwriteInputsDevicesOrEachOther() throws {
        let corpus = try TemporaryFile(Self.text)
        let folder = (corpus.path as NSString).deletingLastPathComponent
        let before = try String(contentsOfFile: corpus.path, encoding: .utf8)
        let link = folder + "/same.txt"
        try FileManager.default.linkItem(atPath: corpus.path, toPath: link)
        let train = ["train", "--corpus", corpus.path, "--hidden", "8", "--steps", "2", "--batch-size", "4", "--seq-length", "8"]
        Self.refused(try charrnn(train + ["--out", corpus.path]), "would destroy the input")
        Self.refused(try charrnn(train + ["--out", folder + "/../" + (folder as NSString).lastPathComponent + "/input.txt"]),
                     "would destroy the input")
        Self.refused(try charrnn(train + ["--out", link]), "would destroy the input")
        Self.refused(try charrnn(train + ["--out", folder + "/m.safetensors", "--log", corpus.path]), "--log")
        Self.refused(try charrnn(train + ["--out", folder + "/m.safetensors", "--plot", folder + "/m.safetensors"]),
                     "are the same file")
        Self.refused(try charrnn(train + ["--out", "/dev/null"]), "not a regular file")
        #expect(try String(contentsOfFile: corpus.path, encoding: .utf8) == before)

        // A names folder: no output may land among its category files.
        let names = try TemporaryFile(Array("Schmidt\nMüller\nWeber\n".utf8), name: "German.txt")
        let data = (names.path as NSString).deletingLastPathComponent
        try "Rossi\nRusso\nBianchi\n".write(toFile: data + "/Italian.txt", atomically: true, encoding: .utf8)
        Self.refused(try charrnn(["train-classifier", "--data", data, "--out", names.path]), "inside --data")
        Self.refused(try charrnn(["train-generator", "--data", data, "--out", data + "/new.safetensors"]), "inside --data")
        #expect(try String(contentsOfFile: names.path, encoding: .utf8) == "Schmidt\nMüller\nWeber\n")
    }

    @Test func aSecondRunOnTheSameOutputRefusesAndNamesTheFirst() throws {
        let corpus = try TemporaryFile(String(repeating: Self.text, count: 4))
        let out = (corpus.path as NSString).deletingLastPathComponent + "/locked.safetensors"
        let first = Process()
        first.executableURL = charrnnURL
        first.arguments = ["train", "--corpus", corpus.path, "--out", out, "--hidden", "8", "--batch-size", "4", "--seq-length", "8",
                           "--max-time", "60", "--patience", "0"]
        first.standardError = FileHandle.nullDevice
        first.standardOutput = FileHandle.nullDevice
        try first.run()
        defer { if first.isRunning { first.terminate() } }
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: out + ".resume.safetensors") && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let second = try charrnn(["train", "--corpus", corpus.path, "--out", out, "--hidden", "8", "--batch-size", "4",
                                  "--seq-length", "8", "--steps", "2"])
        Self.refused(second, "(pid \(first.processIdentifier)) is writing")
        first.terminate()
        first.waitUntilExit()
        #expect(first.terminationStatus == 143)
        #expect(!FileManager.default.fileExists(atPath: out + ".lock"), "the lock goes with its run")
        let third = try charrnn(["train", "--corpus", corpus.path, "--out", out, "--resume", "--max-time", "1"])
        #expect(third.status == 0, "\(third.stderr)")
    }

    /// Every command that reads text takes the --lossy its UTF-8 error suggests.
    @Test func theLossyFlagThatErrorsSuggestExistsWhereTextIsRead() throws {
        let bad = try TemporaryFile(Array(Self.text.utf8) + [0xFF, 0xFE] + Array("\n\n".utf8) + Array(Self.text.utf8))
        let folder = (bad.path as NSString).deletingLastPathComponent
        let train = ["train", "--corpus", bad.path, "--out", folder + "/m.safetensors", "--hidden", "8", "--steps", "2",
                     "--batch-size", "4", "--seq-length", "8"]
        Self.refused(try charrnn(train), "pass --lossy")
        let lossy = try charrnn(train + ["--lossy"])
        #expect(lossy.status == 0 && lossy.stderr.contains("replaced 2 invalid UTF-8"), "\(lossy.stderr)")
        Self.refused(try charrnn(["eval", "--model", folder + "/m.safetensors", "--text", bad.path]), "pass --lossy")
        #expect(try charrnn(["eval", "--model", folder + "/m.safetensors", "--text", bad.path, "--lossy"]).status == 0)
        let seed = try charrnn(["generate", "--model", folder + "/m.safetensors", "--seed-file", bad.path, "--length", "2", "--lossy"])
        #expect(seed.status == 0, "\(seed.stderr)")
        let classify = try charrnn(["classify", "--model", packageRoot + "/Models/names-classifier.safetensors", "--lossy"],
                                   input: Array("Schmidt\n".utf8) + [0xC3] + Array("\nRossi\n".utf8))
        #expect(classify.status == 0 && classify.stdout.split(separator: "\n").count == 3, "\(classify.stderr)")
    }

    /// A names run that learnt nothing ends normally, with a warning against its baseline.
    @Test func nameModelsNoBetterThanTheirBaselineSaySo() throws {
        let names = try TemporaryFile(Array("Schmidt\nMüller\nWeber\nSchneider\nFischer\n".utf8), name: "German.txt")
        let data = (names.path as NSString).deletingLastPathComponent
        try "Rossi\nRusso\nBianchi\nRomano\nColombo\n".write(toFile: data + "/Italian.txt", atomically: true, encoding: .utf8)
        let out = data + "/../nothing-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let generator = try charrnn(["train-generator", "--data", data, "--out", out, "--epochs", "1", "--hidden", "4", "--lr", "1e-6",
                                     "--val-fraction", "0.4"])
        #expect(generator.status == 0 && generator.stderr.contains("not below the letter-frequency baseline"), "\(generator.stderr)")
    }

    /// Argument errors, ArgumentParser's own included, are one line with a pointer to the help,
    /// and exit 64; help itself is printed whole, with status 0.
    @Test func argumentErrorsAreOneLine() throws {
        let model = "\(packageRoot)/Models/tang.safetensors"
        let cases: [([String], String)] = [
            (["generate", "--model", model, "--temperature", "abc"], "see 'charrnn generate --help'"),
            (["generate", "--seed", "春"], "Missing expected argument '--model <model>'"),
            (["no-such-command"], "see 'charrnn --help'"),
            (["classify", "--model", model, "--top"], "see 'charrnn classify --help'"),
        ]
        for (arguments, text) in cases {
            let run = try charrnn(arguments)
            #expect(run.status == 64, "\(arguments): \(run.stderr)")
            #expect(run.stderr.hasPrefix("Error: ") && run.stderr.contains(text), "\(arguments): \(run.stderr)")
            #expect(run.stderr.trimmingCharacters(in: .newlines).split(separator: "\n").count == 1, "\(arguments): \(run.stderr)")
            #expect(run.stdout.isEmpty)
        }
        let help = try charrnn(["generate", "--help"])
        #expect(help.status == 0 && help.stdout.contains("USAGE: charrnn generate"))
    }
}
