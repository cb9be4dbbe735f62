// MARK: - The charrnn server: routes over the CharRNN library, the work queue, shutdown

import CharRNN
import Dispatch
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// A charrnn HTTP server: the API (`/api/models`, `/api/generate`, `/api/classify`), `/healthz`
/// and the web page at `/`, over the models it was started with.
///
/// ```swift
/// let server = try CharRNNServer(ServerConfiguration(models: ["Models/tang.safetensors"]))
/// try await server.run { url in print("listening on \(url)") }   // until SIGTERM or SIGINT
/// ```
public struct CharRNNServer: Sendable {
    /// The settings it runs with.
    public let configuration: ServerConfiguration
    let models: ModelSet
    let queue: WorkQueue
    let inFlight = InFlight()

    /// Reads the models (one copy per worker slot) and checks the settings.
    ///
    /// - Throws: ``CharRNNError`` for a setting out of range, a model file that cannot be read
    ///   (naming it), or two model files with the same name.
    public init(_ configuration: ServerConfiguration) throws {
        try configuration.validate()
        self.configuration = configuration
        models = try ModelSet(paths: configuration.models, slotCount: configuration.maxConcurrent)
        queue = WorkQueue(slots: configuration.maxConcurrent, queueLimit: configuration.queue)
    }

    /// The names the models are served under, in the order given.
    public var modelNames: [String] { models.names }

    /// Serves until SIGTERM or SIGINT, then stops accepting connections, lets the requests at
    /// work finish for up to two seconds, cancels what is left, and returns.
    ///
    /// - Parameter onReady: called with the server's URL once it listens (with the port chosen
    ///   when the configuration's port is 0).
    /// - Throws: when the address cannot be bound.
    public func run(onReady: @escaping @Sendable (String) -> Void) async throws {
        var logger = Logger(label: "charrnn-serve")
        logger.logLevel = .warning
        let host = configuration.host
        let app = Application(
            router: router(),
            configuration: .init(address: .hostname(host, port: configuration.port), serverName: "charrnn"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                onReady("http://\(host.contains(":") ? "[\(host)]" : host):\(port)")
            },
            logger: logger
        )
        // Services shut down last to first: the watcher first, then the server (which stops
        // accepting and waits for the requests at work).
        let group = ServiceGroup(configuration: .init(
            services: [app, CancelOnShutdown(inFlight: inFlight)], gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }

    // MARK: Routes

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: JSONErrors())
        if let origin = configuration.corsOrigin {
            router.add(middleware: CORSMiddleware(allowOrigin: origin == "*" ? .all : .custom(origin),
                                                  allowHeaders: [.accept, .contentType], allowMethods: [.get, .post, .options]))
        }
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: pageHTML)))
        }
        router.get("/healthz") { _, _ in try await self.health() }
        router.get("/api/models") { _, _ in self.modelList() }
        router.post("/api/generate") { request, _ in try await self.generate(request) }
        router.post("/api/classify") { request, _ in try await self.classify(request) }
        return router
    }

    /// `GET /healthz`: 200 once the models are loaded (they are before the server listens),
    /// with the work queue's counters.
    func health() async throws -> Response {
        let counts: [String: Int] = [
            "models": models.names.count, "running": await queue.running, "queued": await queue.queued,
            "served": await queue.served, "refused": await queue.refused, "cancelled": await queue.cancelled,
        ]
        return jsonResponse(counts)
    }

    /// `GET /api/models`: each model's name and its `charrnn info --format json` summary.
    func modelList() -> Response {
        struct Entry: Encodable {
            var name: String
            var summary: ModelSummary
            func encode(to encoder: any Encoder) throws {
                try summary.encode(to: encoder)
                var c = encoder.container(keyedBy: Key.self)
                try c.encode(name, forKey: Key(stringValue: "name"))
            }
            struct Key: CodingKey {
                var stringValue: String
                var intValue: Int? { nil }
                init(stringValue: String) { self.stringValue = stringValue }
                init?(intValue: Int) { nil }
            }
        }
        return jsonResponse(["models": models.names.map { Entry(name: $0, summary: models.summaries[$0]!) }])
    }

    /// The model a request names, checked to be served and of the kind the route needs.
    private func check(model name: String, writer: Bool) throws {
        guard let summary = models.summaries[name] else {
            throw APIError(.notFound, "no model \"\(name)\" on this server; it serves: " + models.names.joined(separator: ", "),
                           field: "model")
        }
        if writer && summary.metadata.task == .classifier {
            throw APIError(.badRequest, "\"\(name)\" is a classifier: it classifies names (POST /api/classify) and cannot write text",
                           field: "model")
        }
        if !writer && summary.metadata.task != .classifier {
            throw APIError(.badRequest, "\"\(name)\" writes text (POST /api/generate); classifying needs a classifier", field: "model")
        }
    }

    /// The answer when every worker is busy and the queue is full.
    private var busy: APIError {
        APIError(.serviceUnavailable, "the server is busy: \(configuration.maxConcurrent) requests at work and "
            + "\(configuration.queue) waiting; try again shortly")
    }

    /// Runs `work` with a worker slot and a cancellation token, on a thread of its own; 503 when
    /// the queue is full. The slot is given back when the work ends, whatever happens to the
    /// connection.
    private func withSlot<T: Sendable>(
        _ work: @escaping @Sendable (_ slot: Int, _ cancel: CancellationToken) throws -> T
    ) async throws -> T {
        guard let slot = await queue.acquire() else {
            throw busy
        }
        let token = inFlight.begin()
        do {
            let result = try await onWorkerThread { try work(slot, token) }
            inFlight.end(token)
            await queue.release(slot, cancelled: false)
            return result
        } catch {
            inFlight.end(token)
            await queue.release(slot, cancelled: error is CancellationError)
            throw error
        }
    }

    /// `POST /api/generate`: the document `charrnn generate --format json` prints for the same
    /// options, or with `Accept: text/event-stream` the same text as server-sent events.
    func generate(_ request: Request) async throws -> Response {
        let body = try await readBody(request, limit: configuration.maxBody)
        let parsed = try GenerateRequest(body, limits: configuration)
        try check(model: parsed.model, writer: true)
        if request.headers[.accept]?.contains("text/event-stream") == true { return try await stream(parsed) }
        let models = self.models
        do {
            let generation = try await withSlot { slot, cancel in
                guard case .writer(let model) = models.model(parsed.model, slot: slot) else { throw ModelKindError() }
                var rng = SeededGenerator(seed: parsed.rngSeed ?? UInt64.random(in: 0...UInt64.max))
                return try model.generate(seed: parsed.seed, options: parsed.options, using: &rng, cancel: cancel)
            }
            return jsonResponse(generation.document(bits: parsed.bits))
        } catch let error as CharRNNError {
            throw APIError(error)
        } catch is CancellationError {
            throw APIError(.serviceUnavailable, "the server is shutting down")
        }
    }

    /// The streaming answer: `text` events `{"sample": i, "text": "…"}` whose texts, joined per
    /// sample, are the samples (the seed first); then `done` with the whole document, or
    /// `error` `{"error": "…"}`. An error found before the first letter (a bad seed or category)
    /// is a plain JSON error with its status instead. A client that goes away cancels the work.
    private func stream(_ parsed: GenerateRequest) async throws -> Response {
        let (events, sink) = AsyncStream<StreamEvent>.makeStream()
        let models = self.models
        let queue = self.queue
        let inFlight = self.inFlight
        guard let slot = await queue.acquire() else {
            throw busy
        }
        let token = inFlight.begin()
        DispatchQueue.global(qos: .userInitiated).async {
            var cancelled = false
            do {
                guard case .writer(let model) = models.model(parsed.model, slot: slot) else { throw ModelKindError() }
                var rng = SeededGenerator(seed: parsed.rngSeed ?? UInt64.random(in: 0...UInt64.max))
                var started = false
                let generation = try model.generate(seed: parsed.seed, options: parsed.options, using: &rng, cancel: token) { sample, text in
                    if !started {
                        started = true
                        sink.yield(.started)
                    }
                    sink.yield(.text(sample, text))
                }
                if !started { sink.yield(.started) }
                sink.yield(.done(generation))
            } catch {
                cancelled = error is CancellationError
                sink.yield(.failed(error))
            }
            sink.finish()
            inFlight.end(token)
            Task { await queue.release(slot, cancelled: cancelled) }
        }
        let reader = EventReader(events.makeAsyncIterator())
        // The first event says whether the request was good: an error before any letter is
        // answered with its status, not as a stream.
        switch await reader.next() {
        case .failed(let error as CharRNNError): throw APIError(error)
        case .failed: throw APIError(.serviceUnavailable, "the server is shutting down")
        default: break
        }
        let seed = parsed.seed, samples = parsed.options.samples, bits = parsed.bits
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                do {
                    if !seed.isEmpty {
                        for sample in 0..<samples { try await writer.write(sseEvent("text", TextEvent(sample: sample, text: seed))) }
                    }
                    while let event = await reader.next() {
                        switch event {
                        case .started: break
                        case .text(let sample, let text): try await writer.write(sseEvent("text", TextEvent(sample: sample, text: text)))
                        case .done(let generation): try await writer.write(sseEvent("done", generation.document(bits: bits)))
                        case .failed(let error):
                            let message = (error as? CharRNNError).map { apiWords($0.description) } ?? "the server is shutting down"
                            try await writer.write(sseEvent("error", ["error": message]))
                        }
                    }
                    try await writer.finish(nil)
                } catch {
                    token.cancel()  // the client went away: stop drawing letters for it
                    throw error
                }
            })
    }

    /// `POST /api/classify`: what `charrnn classify --format json` prints for the names.
    func classify(_ request: Request) async throws -> Response {
        let body = try await readBody(request, limit: configuration.maxBody)
        let parsed = try ClassifyRequest(body, limits: configuration)
        try check(model: parsed.model, writer: false)
        let models = self.models
        do {
            let answers = try await withSlot { slot, _ in
                guard case .classifier(let classifier) = models.model(parsed.model, slot: slot) else { throw ModelKindError() }
                return try classifier.classify(parsed.names).enumerated().map { index, result in
                    do { return try result.get().top(parsed.top) } catch {
                        throw CharRNNError("name \(index + 1) (\(parsed.names[index].debugDescription)): \(error)", option: "names")
                    }
                }
            }
            return jsonResponse(answers)
        } catch let error as CharRNNError {
            throw APIError(error)
        } catch is CancellationError {
            throw APIError(.serviceUnavailable, "the server is shutting down")
        }
    }
}

/// Waits for the shutdown; then gives the requests at work two seconds and cancels what is left
/// (a stream ends with an error event, a request waiting for a worker gets 503), so that the
/// server, which waits for them, exits within seconds.
struct CancelOnShutdown: Service {
    let inFlight: InFlight

    func run() async throws {
        try? await gracefulShutdown()
        let inFlight = self.inFlight
        DispatchQueue.global().asyncAfter(deadline: .now() + 2) { inFlight.cancelAll() }
    }
}

/// A slot without the model a request was checked to name (cannot happen: every slot has a copy
/// of every model); answered 500.
struct ModelKindError: Error, CustomStringConvertible {
    var description: String { "the worker has no such model" }
}

// MARK: - Streaming

/// What the generating thread hands to the response writer.
enum StreamEvent: Sendable {
    /// The request was good and drawing began.
    case started
    case text(Int, String)
    case done(Generation)
    case failed(any Error)
}

/// One `text` event's data.
struct TextEvent: Encodable {
    var sample: Int
    var text: String
}

/// The stream's iterator, read first by the handler and then by the body writer: one reader at
/// a time, which is why it may cross that boundary.
final class EventReader: @unchecked Sendable {
    private var iterator: AsyncStream<StreamEvent>.AsyncIterator
    init(_ iterator: AsyncStream<StreamEvent>.AsyncIterator) { self.iterator = iterator }
    func next() async -> StreamEvent? { await iterator.next() }
}

/// A server-sent event: its name and its data as one line of compact JSON.
func sseEvent(_ name: String, _ value: some Encodable) -> ByteBuffer {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let data = (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    return ByteBuffer(string: "event: \(name)\ndata: \(data)\n\n")
}

// MARK: - Errors as JSON

/// Answers every error as `{"error": "…"}` with its status: the API's own errors, and the
/// framework's (404 for an unknown route, 413, …).
struct JSONErrors<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as HTTPError {
            let message = error.status == .notFound
                ? "no route \(request.method.rawValue) \(request.uri.path)"
                : (error.body ?? error.status.reasonPhrase)
            return jsonResponse(["error": message], status: error.status)
        } catch let error as CharRNNError {
            return try APIError(error, status: .badRequest).response(from: request, context: context)
        } catch {
            return jsonResponse(["error": "internal error: \(error)"], status: .internalServerError)
        }
    }
}
