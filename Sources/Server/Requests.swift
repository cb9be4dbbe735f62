// MARK: - Reading a request's JSON, and the errors the API answers

import CharRNN
import Foundation
import Hummingbird

/// An error the API answers as `{"error": "…", "field": "…"}` with its HTTP status; `field` names
/// the request field at fault, when there is one, so that a page can show the error beside it.
struct APIError: Error, HTTPResponseError {
    var status: HTTPResponse.Status
    var message: String
    var field: String?
    /// Close the connection after answering (a body too large to read to its end).
    var closeConnection = false

    init(_ status: HTTPResponse.Status, _ message: String, field: String? = nil) {
        self.status = status
        self.message = message
        self.field = field
    }

    /// A library error, in the API's words: command-line options (`--top-k`) become the
    /// request's field names (`top_k`).
    init(_ error: CharRNNError, status: HTTPResponse.Status = .badRequest) {
        self.init(status, apiWords(error.description), field: error.option.map(fieldName))
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var document = ["error": message]
        if let field { document["field"] = field }
        var response = jsonResponse(document, status: status)
        if closeConnection { response.headers[.connection] = "close" }
        return response
    }
}

/// A request field's name for a command-line option: `top-k` → `top_k`.
func fieldName(option: String) -> String { option.replacingOccurrences(of: "-", with: "_") }

/// A message with every `--option` written as the API's field name (`--top-k` → `top_k`).
func apiWords(_ message: String) -> String {
    var result = ""
    var rest = Substring(message)
    while let range = rest.range(of: "--") {
        result += rest[..<range.lowerBound]
        let name = rest[range.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "-" }
        result += name.isEmpty ? "--" : fieldName(option: String(name))
        rest = rest[range.upperBound...].dropFirst(name.count)
    }
    return result + rest
}

/// A JSON response: the document as the command line prints it, with a final line break.
func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
             body: ResponseBody(byteBuffer: ByteBuffer(string: jsonDocument(value) + "\n")))
}

/// Reads a request body of at most `limit` bytes. A larger body is read to its end (up to 1 MiB
/// more, so that the client sees the answer rather than a reset) and answered 413.
func readBody(_ request: Request, limit: Int) async throws -> ByteBuffer {
    var body = ByteBuffer()
    var total = 0
    for try await chunk in request.body {
        total += chunk.readableBytes
        if total <= limit {
            var chunk = chunk
            body.writeBuffer(&chunk)
        } else if total > limit + (1 << 20) {
            break
        }
    }
    guard total <= limit else {
        var error = APIError(.contentTooLarge, "the request body is over \(limit.formatted()) bytes")
        error.closeConnection = total > limit + (1 << 20)
        throw error
    }
    return body
}

/// A request's JSON object, read field by field with the type each field needs. Every field
/// must be read: one that is not (a misspelling) is an error, not silently ignored.
struct RequestFields {
    private var object: [String: JSONValue]
    private var read: Set<String> = []

    /// - Throws: ``APIError`` 400 when the body is not a JSON object.
    init(_ body: ByteBuffer) throws {
        let value: JSONValue
        do { value = try JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView)) } catch {
            throw APIError(.badRequest, "the request body is not valid JSON")
        }
        guard case .object(let object) = value else { throw APIError(.badRequest, "the request body must be a JSON object") }
        self.object = object
    }

    /// The field's value; nil when it is absent or null.
    private mutating func value(_ key: String) -> JSONValue? {
        read.insert(key)
        if case .null = object[key] { return nil }
        return object[key]
    }

    mutating func string(_ key: String) throws -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw APIError(.badRequest, "\(key) must be a string", field: key) }
        return text
    }

    mutating func requiredString(_ key: String) throws -> String {
        guard let text = try string(key) else { throw APIError(.badRequest, "\(key) is missing", field: key) }
        return text
    }

    mutating func number(_ key: String) throws -> Double? {
        guard let value = value(key) else { return nil }
        guard case .number(let x) = value else { throw APIError(.badRequest, "\(key) must be a number", field: key) }
        return x
    }

    /// A whole number within `range`.
    mutating func integer(_ key: String, in range: ClosedRange<Int> = Int.min...Int.max) throws -> Int? {
        guard let x = try number(key) else { return nil }
        guard x == x.rounded(), abs(x) <= 9_007_199_254_740_992 else { throw APIError(.badRequest, "\(key) must be a whole number", field: key) }
        let n = Int(x)
        guard range.contains(n) else { throw APIError(.badRequest, "\(key) must be from \(range.lowerBound) to \(range.upperBound)", field: key) }
        return n
    }

    mutating func bool(_ key: String) throws -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else { throw APIError(.badRequest, "\(key) must be true or false", field: key) }
        return flag
    }

    mutating func strings(_ key: String) throws -> [String]? {
        guard let value = value(key) else { return nil }
        guard case .array(let items) = value else { throw APIError(.badRequest, "\(key) must be an array of strings", field: key) }
        return try items.map {
            guard case .string(let text) = $0 else { throw APIError(.badRequest, "\(key) must be an array of strings", field: key) }
            return text
        }
    }

    /// - Throws: ``APIError`` 400 naming a field that was sent but is not one of the request's.
    func checkAllRead() throws {
        if let unknown = object.keys.sorted().first(where: { !read.contains($0) }) {
            throw APIError(.badRequest, "unknown field \"\(unknown)\"", field: unknown)
        }
    }
}

/// A generate request: `charrnn generate`'s options with `_` for `-` (flags as booleans).
struct GenerateRequest {
    var model: String
    var seed: String
    var options: GenerationOptions
    var rngSeed: UInt64?
    /// Include each sample's bits per token in the document (`generate --bits`).
    var bits: Bool

    init(_ body: ByteBuffer, limits: ServerConfiguration) throws {
        var fields = try RequestFields(body)
        model = try fields.requiredString("model")
        seed = try fields.string("seed") ?? ""
        var options = GenerationOptions()
        if let x = try fields.number("temperature") { options.temperature = Float(x) }
        options.topK = try fields.integer("top_k")
        options.topP = try fields.number("top_p").map(Float.init)
        options.length = try fields.integer("length") ?? options.length
        options.samples = try fields.integer("samples") ?? options.samples
        options.form = try fields.integer("form")
        options.lines = try fields.integer("lines")
        options.acrostic = try fields.string("acrostic")
        options.category = try fields.string("category")
        options.stopAtParagraphEnd = try fields.bool("paragraph") ?? false
        options.regulated = try fields.bool("regulated") ?? false
        options.pattern = try fields.string("pattern")
        options.rhyme = try fields.string("rhyme")
        bits = try fields.bool("bits") ?? false
        rngSeed = try fields.integer("rng_seed", in: 0...Int(1 << 53)).map(UInt64.init)
        try fields.checkAllRead()
        do { try options.validate() } catch let error as CharRNNError { throw APIError(error) }
        if options.length > limits.maxLength {
            throw APIError(.badRequest, "length must be at most \(limits.maxLength) on this server", field: "length")
        }
        if options.samples > limits.maxSamples {
            throw APIError(.badRequest, "samples must be at most \(limits.maxSamples) on this server", field: "samples")
        }
        self.options = options
    }
}

/// A classify request: the model, the names, and how many categories to show per name.
struct ClassifyRequest {
    var model: String
    var names: [String]
    var top: Int

    init(_ body: ByteBuffer, limits: ServerConfiguration) throws {
        var fields = try RequestFields(body)
        model = try fields.requiredString("model")
        guard let names = try fields.strings("names") else { throw APIError(.badRequest, "names is missing", field: "names") }
        self.names = names
        top = try fields.integer("top") ?? 3
        try fields.checkAllRead()
        do { try ClassifiedName.checkTop(top) } catch let error as CharRNNError { throw APIError(error) }
        if names.isEmpty { throw APIError(.badRequest, "names must hold at least one name", field: "names") }
        if names.count > limits.maxNames {
            throw APIError(.badRequest, "names must hold at most \(limits.maxNames) names on this server", field: "names")
        }
    }
}
