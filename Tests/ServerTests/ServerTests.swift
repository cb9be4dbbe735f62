// charrnn-serve end to end: the real program on a loopback port, called over HTTP.

import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// One server with the shipped models for the tests that only read; killed when the tests end.
let sharedServer: Result<ServerProcess, any Error> = {
    let result = Result { try ServerProcess(shippedModels.flatMap { ["--model", $0] }) }
    if case .success(let server) = result {
        sharedServerPID = server.process.processIdentifier
        atexit { if sharedServerPID > 0 { kill(sharedServerPID, SIGKILL) } }
    }
    return result
}()
nonisolated(unsafe) var sharedServerPID: Int32 = 0

func server() throws -> ServerProcess { try sharedServer.get() }

@Suite("charrnn serve", .timeLimit(.minutes(3)))
struct ServerTests {
    @Test func healthAndModels() throws {
        let health = try server().request("GET", "/healthz")
        #expect(health.status == 200)
        #expect((health.json as? [String: Any])?["models"] as? Int == 3)

        let list = try server().request("GET", "/api/models")
        #expect(list.status == 200)
        let models = try #require((list.json as? [String: Any])?["models"] as? [[String: Any]])
        #expect(models.map { $0["name"] as? String } == ["tang", "names-classifier", "names-generator"])
        #expect(models.map { $0["task"] as? String } == ["language-model", "classifier", "conditional-generator"])
        #expect(models[0]["cell"] as? String == "gru")
        #expect((models[1]["categories"] as? [String])?.contains("German") == true)
        // The same summary as charrnn info --format json, plus the name.
        let info = try runProgram("charrnn", ["info", "--model", shippedModels[0], "--format", "json"])
        var fromInfo = try #require(try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
        fromInfo["name"] = "tang"
        #expect(NSDictionary(dictionary: fromInfo).isEqual(to: models[0]))
    }

    @Test func thePage() throws {
        let page = try server().request("GET", "/")
        #expect(page.status == 200)
        #expect(page.headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(page.text.contains("id=\"generate\"") && page.text.contains("id=\"classify\""))
        // Self-contained: nothing fetched from another host.
        #expect(!page.text.contains("http://") && !page.text.contains("https://"))
    }

    /// The same rng seed and options give the document charrnn generate --format json prints,
    /// byte for byte.
    @Test(arguments: [
        (#"{"model": "tang", "seed": "春", "form": 5, "rng_seed": 7, "top_k": 20}"#,
         ["--model", "tang", "--seed", "春", "--form", "5", "--rng-seed", "7", "--top-k", "20"]),
        (#"{"model": "tang", "acrostic": "山水", "form": 7, "rng_seed": 3, "temperature": 0.6, "top_p": 0.9}"#,
         ["--model", "tang", "--acrostic", "山水", "--form", "7", "--rng-seed", "3", "--temperature", "0.6", "--top-p", "0.9"]),
        (#"{"model": "tang", "seed": "春", "form": 5, "lines": 2, "regulated": true, "rng_seed": 2, "bits": true}"#,
         ["--model", "tang", "--seed", "春", "--form", "5", "--lines", "2", "--regulated", "--rng-seed", "2", "--bits"]),
        (#"{"model": "names-generator", "category": "German", "samples": 3, "rng_seed": 5}"#,
         ["--model", "names-generator", "--category", "German", "--samples", "3", "--rng-seed", "5"]),
    ])
    func generateAsTheCommandLine(request: String, flags: [String]) throws {
        let reply = try server().post("/api/generate", request)
        #expect(reply.status == 200, "\(reply.text)")
        var arguments = ["generate", "--format", "json"] + flags
        arguments[arguments.firstIndex(of: "--model")! + 1] = "\(packageRoot)/Models/\(flags[1]).safetensors"
        let cli = try runProgram("charrnn", arguments)
        #expect(cli.status == 0, "\(cli.stderr)")
        #expect(reply.text == cli.stdout)
    }

    /// A model with the adaptive decoder (a fixture PyTorch wrote) is served like the others:
    /// its summary gives the decoder, and generate, plain and streamed, answers as the command
    /// line does.
    @Test func anAdaptiveDecoderModel() throws {
        let path = "\(packageRoot)/Tests/ModelTests/Fixtures/adaptive_gru_l2.model.safetensors"
        let adaptive = try ServerProcess(["--model", path])
        defer { _ = adaptive.stop() }
        let list = try adaptive.request("GET", "/api/models")
        let model = try #require(((list.json as? [String: Any])?["models"] as? [[String: Any]])?.first)
        let decoder = try #require(model["decoder"] as? [String: Any])
        #expect(decoder["kind"] as? String == "adaptive" && decoder["cutoffs"] as? [Int] == [8, 20])
        let name = try #require(model["name"] as? String)

        let request = #"{"model": "\#(name)", "seed": "c", "length": 60, "samples": 2, "rng_seed": 3, "top_p": 0.9, "temperature": 0.8}"#
        let reply = try adaptive.post("/api/generate", request)
        #expect(reply.status == 200, "\(reply.text)")
        let cli = try runProgram("charrnn", ["generate", "--format", "json", "--model", path, "--seed", "c", "--length", "60",
                                             "--samples", "2", "--rng-seed", "3", "--top-p", "0.9", "--temperature", "0.8"])
        #expect(cli.status == 0, "\(cli.stderr)")
        #expect(reply.text == cli.stdout)
        let streamed = try adaptive.post("/api/generate", request, headers: ["Accept": "text/event-stream"])
        let done = try #require(serverSentEvents(streamed.text).last)
        #expect(done.name == "done")
        #expect((done.data as? [String: Any])?["samples"] as? [String] == (reply.json as? [String: Any])?["samples"] as? [String])
    }

    @Test func classifyAsTheCommandLine() throws {
        let reply = try server().post("/api/classify", #"{"model": "names-classifier", "names": ["Schmidt", "王伟", "Nguyen"], "top": 2}"#)
        #expect(reply.status == 200, "\(reply.text)")
        let cli = try runProgram("charrnn", ["classify", "--model", shippedModels[1], "--top", "2", "--format", "json",
                                             "Schmidt", "王伟", "Nguyen"])
        #expect(cli.status == 0)
        #expect(reply.text == cli.stdout)
        let answers = try #require(reply.json as? [[String: Any]])
        #expect((answers[0]["predictions"] as? [[String: Any]])?.first?["category"] as? String == "German")
    }

    /// Streamed, each sample's text events joined are that sample, the seed first; the final
    /// event is the whole document, as the JSON answer.
    @Test func streaming() throws {
        let request = #"{"model": "tang", "seed": "月", "form": 5, "lines": 2, "samples": 2, "rng_seed": 11}"#
        let streamed = try server().post("/api/generate", request, headers: ["Accept": "text/event-stream"])
        #expect(streamed.status == 200)
        #expect(streamed.headers["content-type"]?.hasPrefix("text/event-stream") == true)
        let events = serverSentEvents(streamed.text)
        let texts = events.filter { $0.name == "text" }.compactMap { $0.data as? [String: Any] }
        #expect(texts.count > 20)
        let done = try #require(events.last)
        #expect(done.name == "done")
        let samples = try #require((done.data as? [String: Any])?["samples"] as? [String])
        for sample in 0..<2 {
            let joined = texts.filter { $0["sample"] as? Int == sample }.compactMap { $0["text"] as? String }.joined()
            #expect(joined == samples[sample])
        }
        let plain = try server().post("/api/generate", request)
        #expect((plain.json as? [String: Any])?["samples"] as? [String] == samples)
    }

    @Test func errors() throws {
        let s = try server()
        func check(_ body: String, _ status: Int, field: String?, contains text: String, path: String = "/api/generate") throws {
            let reply = try s.post(path, body)
            #expect(reply.status == status, "\(body): \(reply.text)")
            #expect(reply.field == field, "\(body): \(reply.text)")
            #expect(reply.error?.contains(text) == true, "\(body): \(reply.text)")
            #expect(reply.headers["content-type"]?.hasPrefix("application/json") == true)
        }
        try check("{\"model\": ", 400, field: nil, contains: "not valid JSON")
        try check("[1, 2]", 400, field: nil, contains: "must be a JSON object")
        try check(#"{"seed": "春"}"#, 400, field: "model", contains: "model is missing")
        try check(#"{"model": "tang", "temperature": "hot"}"#, 400, field: "temperature", contains: "must be a number")
        try check(#"{"model": "tang", "top_k": 0}"#, 400, field: "top_k", contains: "top_k must be at least 1")
        try check(#"{"model": "tang", "top_p": 1.5}"#, 400, field: "top_p", contains: "top_p must be in (0, 1]")
        try check(#"{"model": "tang", "form": 6}"#, 400, field: "form", contains: "form is 5 or 7")
        try check(#"{"model": "tang", "length": 2.5}"#, 400, field: "length", contains: "whole number")
        try check(#"{"model": "tang", "length": 100000}"#, 400, field: "length", contains: "at most 2000")
        try check(#"{"model": "tang", "temprature": 1}"#, 400, field: "temprature", contains: "unknown field")
        try check(#"{"model": "tang", "regulated": true}"#, 400, field: "regulated", contains: "regulated needs form 5 or 7")
        try check(#"{"model": "tang", "form": 5, "regulated": true, "rhyme": "x"}"#, 400, field: "rhyme", contains: "no rhyme group")
        try check(#"{"model": "tang", "acrostic": "春夏", "lines": 3, "form": 5}"#, 400, field: "acrostic", contains: "acrostic")
        try check(#"{"model": "names-generator"}"#, 400, field: "category", contains: "give category, one of")
        try check(#"{"model": "names-generator", "category": "Martian"}"#, 400, field: "category", contains: "no category \"Martian\"")
        try check(#"{"model": "names-classifier"}"#, 400, field: "model", contains: "is a classifier")
        try check(#"{"model": "../Models/tang"}"#, 404, field: "model", contains: "no model")
        try check(#"{"model": "tang", "names": ["A"]}"#, 400, field: "model", contains: "writes text", path: "/api/classify")
        try check(#"{"model": "names-classifier", "names": []}"#, 400, field: "names", contains: "at least one", path: "/api/classify")
        try check(#"{"model": "names-classifier", "names": ["A", 3]}"#, 400, field: "names", contains: "array of strings", path: "/api/classify")
        try check(#"{"model": "names-classifier", "names": ["Schmidt", "  "]}"#, 400, field: "names", contains: "name 2", path: "/api/classify")
        try check(#"{"model": "names-classifier", "names": ["A"], "top": 0}"#, 400, field: "top", contains: "top must be at least 1", path: "/api/classify")

        let route = try s.request("GET", "/api/nothing")
        #expect(route.status == 404)
        #expect(route.error == "no route GET /api/nothing")
        #expect(try s.request("GET", "/api/generate").status == 404)

        // Over 64 KB: read to its end and answered 413 (not a reset).
        let big = #"{"model": "tang", "seed": ""# + String(repeating: "春", count: 30_000) + #""}"#
        let tooLarge = try s.post("/api/generate", big)
        #expect(tooLarge.status == 413)
        #expect(tooLarge.error?.contains("over 65,536 bytes") == true)
        // The server goes on.
        #expect(try s.request("GET", "/healthz").status == 200)
    }

    /// 48 clients at once, with the default limits (2 at work, 64 waiting): all are answered.
    @Test func manyClientsAtOnce() throws {
        let s = try server()
        let statuses = Mutex48()
        DispatchQueue.concurrentPerform(iterations: 48) { i in
            let reply = try? s.post("/api/classify", #"{"model": "names-classifier", "names": ["Name\#(i)"]}"#)
            statuses.set(i, reply?.status ?? -1)
        }
        #expect(statuses.values == [Int](repeating: 200, count: 48))
    }

    /// A client that hangs up mid-stream stops its generation (else the one worker would draw a
    /// million letters); a full queue answers 503.
    @Test func hangUpAndBusy() throws {
        let s = try ServerProcess(["--model", shippedModels[0], "--max-concurrent", "1", "--queue", "0", "--max-length", "1000000"])
        let connection = try HTTPConnection(port: s.port)
        try connection.send("POST", "/api/generate", body: Array(#"{"model": "tang", "length": 1000000}"#.utf8),
                            headers: ["Accept": "text/event-stream", "Content-Type": "application/json"])
        #expect(try connection.readHead().status == 200)
        #expect(try connection.readBodyPiece() != nil)
        // The one worker is busy and nobody may wait.
        let busy = try s.post("/api/generate", #"{"model": "tang", "length": 5}"#)
        #expect(busy.status == 503)
        #expect(busy.error?.contains("busy") == true)
        connection.hangUp()
        var health: [String: Any] = [:]
        for _ in 0..<100 {
            health = try s.request("GET", "/healthz").json as? [String: Any] ?? [:]
            if health["running"] as? Int == 0 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(health["running"] as? Int == 0)
        #expect(health["cancelled"] as? Int == 1)
        #expect(health["refused"] as? Int == 1)
        #expect(try s.post("/api/generate", #"{"model": "tang", "length": 5}"#).status == 200)
        #expect(s.stop().status == 0)
    }

    /// SIGTERM with a long stream at work: the stream is cut within seconds and the server
    /// exits 0; `charrnn serve` is that same process (exec), so the signal reaches the server.
    @Test func shutdown() throws {
        let s = try ServerProcess(program: "charrnn", ["serve", "--model", shippedModels[0], "--max-length", "1000000"])
        let connection = try HTTPConnection(port: s.port)
        try connection.send("POST", "/api/generate", body: Array(#"{"model": "tang", "length": 1000000}"#.utf8),
                            headers: ["Accept": "text/event-stream", "Content-Type": "application/json"])
        #expect(try connection.readHead().status == 200)
        #expect(try connection.readBodyPiece() != nil)
        let (status, seconds) = s.stop()
        #expect(status == 0, "\(s.output)")
        #expect(seconds < 15)
        #expect(s.output.contains("stopped"))
        var rest = ""
        while let piece = try? connection.readBodyPiece() { rest += String(decoding: piece, as: UTF8.self) }
        #expect(rest.contains("event: error") || !rest.contains("event: done"))
    }

    /// `charrnn serve` with no charrnn-serve beside it: a one-line error that says how to build it.
    @Test func serveWithoutTheServerProgram() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("charrnn-alone-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let alone = folder.appendingPathComponent("charrnn")
        try FileManager.default.copyItem(at: buildFolder.appendingPathComponent("charrnn"), to: alone)
        let process = Process()
        process.executableURL = alone
        process.arguments = ["serve", "--model", shippedModels[0]]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(message.contains("needs charrnn-serve beside charrnn") && message.contains("--product charrnn-serve"))
        #expect(message.trimmingCharacters(in: .newlines).split(separator: "\n").count == 1, "\(message)")
    }

    @Test func startupErrors() throws {
        let missing = try runProgram("charrnn-serve", ["--model", "/nonexistent/x.safetensors", "--port", "0"])
        #expect(missing.status != 0 && missing.status < 128)
        #expect(missing.stderr.contains("/nonexistent/x.safetensors"))
        let twice = try runProgram("charrnn-serve", ["--model", shippedModels[0], "--model", shippedModels[0], "--port", "0"])
        #expect(twice.status != 0 && twice.stderr.contains("both be served as \"tang\""))
        let none = try runProgram("charrnn-serve", ["--port", "0"])
        #expect(none.status != 0 && none.stderr.contains("at least one --model"))
        let workers = try runProgram("charrnn-serve", ["--model", shippedModels[0], "--max-concurrent", "0"])
        #expect(workers.status != 0 && workers.stderr.contains("--max-concurrent must be from 1"))
        // A port already taken: a one-line error, not a crash.
        let s = try server()
        let taken = try runProgram("charrnn-serve", ["--model", shippedModels[1], "--port", String(s.port)])
        #expect(taken.status != 0 && taken.status < 128)
        #expect(taken.stderr.contains("cannot serve on 127.0.0.1:\(s.port)"))
    }
}

/// 48 statuses written from several threads.
final class Mutex48: @unchecked Sendable {
    private let lock = NSLock()
    private var storage = [Int](repeating: 0, count: 48)
    func set(_ i: Int, _ value: Int) { lock.withLock { storage[i] = value } }
    var values: [Int] { lock.withLock { storage } }
}
