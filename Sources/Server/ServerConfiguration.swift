// MARK: - What a server serves, where, and within which limits

import CharRNN
import Foundation

/// The settings of a charrnn server (`charrnn serve`): its models, address and limits.
public struct ServerConfiguration: Sendable {
    /// Model files to serve, each under its file name without `.safetensors` (`tang`).
    public var models: [String]
    /// The address to listen on: the loopback unless asked otherwise.
    public var host = "127.0.0.1"
    /// The port to listen on; 0 picks a free one (the server reports it when it starts).
    public var port = 8080
    /// Requests that run at once; each has its own thread and its own copy of each model's
    /// tokenizer and workspace. Default: the cores.
    public var maxConcurrent = ProcessInfo.processInfo.activeProcessorCount
    /// Requests that may wait for a free slot; one more is answered 503.
    public var queue = 64
    /// The most letters one generate request may ask for (`length`).
    public var maxLength = 2000
    /// The most samples one generate request may ask for (`samples`).
    public var maxSamples = 10
    /// The most names one classify request may send.
    public var maxNames = 1000
    /// The largest request body, in bytes; a larger one is answered 413.
    public var maxBody = 64 * 1024
    /// An origin allowed to call the API from another site's pages (CORS); nil: none, `*`: any.
    public var corsOrigin: String? = nil

    /// A configuration that serves `models` with every other setting at its default.
    ///
    /// - Parameter models: paths of model files.
    public init(models: [String]) { self.models = models }

    /// Checks the settings.
    ///
    /// - Throws: ``CharRNNError`` naming the first option out of range.
    public func validate() throws {
        if models.isEmpty { throw CharRNNError("give at least one --model to serve") }
        if !(0...65535).contains(port) { throw CharRNNError(option: "port", "must be from 0 to 65535") }
        if !(1...256).contains(maxConcurrent) { throw CharRNNError(option: "max-concurrent", "must be from 1 to 256") }
        if !(0...100_000).contains(queue) { throw CharRNNError(option: "queue", "must be from 0 to 100,000") }
        if !(1...1_000_000).contains(maxLength) { throw CharRNNError(option: "max-length", "must be from 1 to 1,000,000") }
        if !(1...Limits.samples).contains(maxSamples) { throw CharRNNError(option: "max-samples", "must be from 1 to \(Limits.samples)") }
        if !(1...1_000_000).contains(maxNames) { throw CharRNNError(option: "max-names", "must be from 1 to 1,000,000") }
        if !(1024...(64 << 20)).contains(maxBody) { throw CharRNNError(option: "max-body", "must be from 1,024 to 67,108,864 bytes") }
    }
}
