// MARK: - A language model: load, save, generate, score

import Foundation

/// How to draw text from a model; the defaults are the command line's (`charrnn generate`).
///
/// Set the fields you need on a default value and pass it to
/// ``LanguageModel/generate(seed:options:using:cancel:onText:)``, which checks it with ``validate()``.
public struct GenerationOptions: Codable, Equatable, Sendable {
    /// Sharpness: 0 always takes the most likely letter, 1 the model's own distribution, above
    /// 1 wilder.
    public var temperature: Float = 0.8
    /// Draw only among the k most likely letters (nil: all).
    public var topK: Int? = nil
    /// Draw only among the most likely letters whose probabilities add up to p (nil: all).
    public var topP: Float? = nil
    /// Letters to draw after the seed (a verse form ends by itself).
    public var length = 500
    /// Samples drawn at once, each its own stream.
    public var samples = 1
    /// Chinese verse: 5 or 7 characters per half line (nil: free text).
    public var form: Int? = nil
    /// Lines of verse (with `form` or `acrostic`; default 4, or one per acrostic character).
    public var lines: Int? = nil
    /// Characters that begin the lines, one per line (藏头诗).
    public var acrostic: String? = nil
    /// The category to write in (conditional name generators only).
    public var category: String? = nil
    /// End each sample at the end of its paragraph (a blank line), within `length`.
    public var stopAtParagraphEnd = false
    /// Threads for the output layer of a large vocabulary; the text does not depend on it.
    public var threads = 1
    /// Regulated verse (格律, with `form`): every poem keeps a standard tone pattern and one
    /// rhyme, and passes ``checkVerse(_:enteringRule:)``; see ``LanguageModel/generate(seed:options:using:cancel:onText:)``.
    public var regulated = false
    /// With `regulated`: the pattern, by a name ``VersePattern/init(name:)`` accepts (仄起,
    /// 仄起入韵, 平起, 平起入韵 or ze, ze-rhymed, ping, ping-rhymed); nil: the first draws choose.
    public var pattern: String? = nil
    /// With `regulated`: the rhyme group, by name (唐 or tang; ``RhymeGroup``); nil: the first
    /// rhyming character sets it.
    public var rhyme: String? = nil

    /// The command line's defaults: temperature 0.8, 500 letters, one sample, free text.
    public init() {}

    /// Checks the values; the error names the option as the command line spells it.
    ///
    /// - Throws: ``CharRNNError`` for the first value out of range: a negative or non-finite
    ///   temperature, `topK`, `length`, `samples`, `threads` or `lines` below 1, `topP` outside
    ///   (0, 1], a `form` other than 5 or 7, `regulated` without a form, `pattern` or `rhyme`
    ///   without `regulated`, or an unknown pattern or rhyme name.
    public func validate() throws {
        if !(temperature >= 0 && temperature.isFinite) { throw CharRNNError(option: "temperature", "must be 0 or more") }
        if let topK, topK < 1 { throw CharRNNError(option: "top-k", "must be at least 1") }
        if let topP, !(topP > 0 && topP <= 1) { throw CharRNNError(option: "top-p", "must be in (0, 1]") }
        if length < 1 { throw CharRNNError(option: "length", "must be at least 1") }
        if samples < 1 || samples > Limits.samples { throw CharRNNError(option: "samples", "must be from 1 to \(Limits.samples)") }
        if threads < 1 || threads > Limits.threads { throw CharRNNError(option: "threads", "must be from 1 to \(Limits.threads)") }
        if let form, form != 5 && form != 7 { throw CharRNNError(option: "form", "is 5 or 7") }
        if let lines, lines < 1 { throw CharRNNError(option: "lines", "must be at least 1") }
        try validateRegulation()
    }
}

/// Samples drawn from a model: what ``LanguageModel/generate(seed:options:using:cancel:onText:)``
/// returns. Its ``document(bits:)`` is what `charrnn generate --format json` prints and
/// `POST /api/generate` answers.
public struct Generation: Sendable {
    /// Each sample's text, the seed first.
    public var samples: [String]
    /// Seed letters the model never saw, read as its unknown token (not in the document).
    public var unseenSeedLetters: [String]
    /// For each sample, the model's own bits per drawn token (temperature 1, before masks and
    /// cut-offs): how likely the model finds what was written.
    public var bitsPerToken: [Double] = []
    /// Regulated verse only: for each sample, its check and the drafts it took.
    public var verses: [RegulatedVerse] = []

    /// The JSON document of this generation (encode it with ``jsonDocument(_:)``).
    ///
    /// - Parameter bits: include each sample's ``bitsPerToken`` (`generate --bits`).
    public func document(bits: Bool = false) -> GenerationDocument { GenerationDocument(self, bits: bits) }
}

/// The JSON document `charrnn generate --format json` prints and `POST /api/generate` answers:
/// `samples`; with `bits`, `bits_per_token`; for regulated verse, `verses` (each poem's
/// pattern, rhyme and drafts).
public struct GenerationDocument: Encodable, Sendable {
    /// A regulated poem's pattern and rhyme, by name, and the drafts it took.
    public struct Verse: Encodable, Sendable {
        public var pattern: String, rhyme: String, drafts: Int
    }
    public var samples: [String]
    public var bitsPerToken: [Double]?
    public var verses: [Verse]?

    private enum CodingKeys: String, CodingKey { case samples, bitsPerToken = "bits_per_token", verses }

    init(_ result: Generation, bits: Bool) {
        samples = result.samples
        bitsPerToken = bits ? result.bitsPerToken : nil
        verses = result.verses.isEmpty ? nil : result.verses.map {
            Verse(pattern: $0.pattern.name, rhyme: $0.rhyme.names, drafts: $0.drafts)
        }
    }
}

/// How well a model predicts a text: the mean cross-entropy of each token given the ones before
/// it. Lower is better.
public struct Score: Codable, Equatable, Sendable {
    /// Tokens scored (a text of N tokens scores N − 1: each from the ones before it).
    public var tokens: Int
    /// The mean loss in nats per token (natural logarithm).
    public var natsPerToken: Double
    /// The mean loss in bits per token: ``natsPerToken`` / ln 2.
    public var bitsPerToken: Double { natsPerToken / log(2) }
    /// e to the power of ``natsPerToken``: as unsure as a uniform choice among this many tokens.
    public var perplexity: Double { exp(natsPerToken) }

    /// A score of `tokens` tokens with a mean loss of `natsPerToken`.
    ///
    /// - Parameters:
    ///   - tokens: the number of tokens scored.
    ///   - natsPerToken: their mean loss in nats.
    public init(tokens: Int, natsPerToken: Double) {
        self.tokens = tokens
        self.natsPerToken = natsPerToken
    }
}

/// A model that writes text: a language model (the next letter of a text) or a conditional
/// generator of names (the next letter of a name in a category).
///
/// ```swift
/// let model = try LanguageModel(contentsOf: "Models/tang.safetensors")
/// var options = GenerationOptions()
/// options.form = 5
/// var rng = SeededGenerator(seed: 1)
/// let poem = try model.generate(seed: "春", options: options, using: &rng).samples[0]
/// ```
///
/// Not thread-safe: use one model from one thread at a time.
public final class LanguageModel {
    /// The network's weights and shape.
    public let network: RecurrentNetwork
    /// What the model file says about the model: task, cell, sizes, tokenizer settings,
    /// vocabulary, categories and its training record.
    public let metadata: ModelMetadata
    /// The model's tokenizer and vocabulary.
    public let codec: TextCodec

    /// A model from a model file's network and metadata. They are not checked against each
    /// other here: use a ``ModelFile`` read from disk (which checks them), or metadata made for
    /// this network.
    ///
    /// - Parameter file: a language model or a conditional name generator.
    /// - Throws: ``CharRNNError`` when the file holds a classifier; ``ICUError`` or
    ///   ``VocabularyError`` when its tokenizer or vocabulary cannot be built
    ///   (``TextCodec/init(_:)``).
    public init(_ file: ModelFile) throws {
        guard file.metadata.task != .classifier else {
            throw CharRNNError("a classifier cannot write text; load it as a NamesClassifier")
        }
        guard file.metadata.task != .forecaster else {
            throw CharRNNError("a forecaster cannot write text; use it with charrnn forecast")
        }
        network = file.network
        metadata = file.metadata
        codec = try TextCodec(file.metadata)
    }

    /// Reads a model file (every size and shape checked before anything is allocated).
    ///
    /// - Parameter path: a `.safetensors` model file of a language model or a name generator.
    /// - Throws: ``ModelFileError`` when the file cannot be read or is not a valid model;
    ///   ``CharRNNError`` when it holds a classifier.
    public convenience init(contentsOf path: String) throws {
        let file = try ModelFile(contentsOf: path)
        guard file.metadata.task != .classifier else {
            throw CharRNNError("\(path): a classifier; generating needs a language model or a name generator")
        }
        try self.init(file)
    }

    /// Writes the model to `path` (atomically: a temporary file renamed).
    ///
    /// - Parameter path: the model file to write; an existing file is replaced.
    /// - Throws: ``ModelFileError`` when the file cannot be written.
    public func write(to path: String) throws { try ModelFile(network: network, metadata: metadata).write(to: path) }

    /// Draws `options.samples` texts that begin with `seed`.
    ///
    /// The state is primed as the model was trained: a name generator with its start marker (the
    /// end token), a text model with a paragraph break (two line breaks, when its vocabulary
    /// has them: the start of a poem or chapter); then the seed. Each next letter is drawn from
    /// the distribution at `temperature`, cut to top-k or the top-p nucleus; the unknown token
    /// is never drawn. Verse forms and acrostics mask the distribution, so every draw fits.
    ///
    /// - Parameters:
    ///   - seed: text that begins each sample and counts toward a verse form.
    ///   - options: temperature, cut-offs, length, samples, form, category.
    ///   - rng: the source of randomness; a seeded generator repeats the text.
    ///   - cancel: when set (from any thread), the generation stops before its next letter and
    ///     throws `CancellationError`: a server's client that went away.
    ///   - onText: called with (sample, text) for each letter as it is drawn, in order: one
    ///     letter of each unfinished sample in turn. The seed is not passed to it.
    /// - Returns: the samples, each with its seed, and the seed letters the model never saw.
    /// - Throws: ``CharRNNError`` when `options` are out of range, a seed letter is not in the
    ///   vocabulary and the model has no unknown token, `category` is missing, unknown or given
    ///   to a model without categories, or a verse form cannot be met (a seed that does not fit
    ///   it, or a vocabulary without its punctuation or acrostic characters); its ``CharRNNError/option``
    ///   names the option at fault when there is one. `CancellationError` when `cancel` is set.
    /// - Complexity: one network step for each letter of the prime and the seed, then one for
    ///   each letter drawn (at most `length`; with a verse form, its characters and
    ///   punctuation), all samples in the same steps. Each step costs, per sample, about
    ///   g·H²·(2L − 1) + H·V multiply-adds for L layers of H units, g gates (1 Elman, 3 GRU,
    ///   4 LSTM) and V letters.
    public func generate(
        seed: String = "", options: GenerationOptions = GenerationOptions(), using rng: inout some RandomNumberGenerator,
        cancel: CancellationToken? = nil, onText: (_ sample: Int, _ text: String) -> Void = { _, _ in }
    ) throws -> Generation {
        try options.validate()
        if options.regulated {
            return try generateRegulated(seed: seed, options: options, using: &rng, cancel: cancel, onText: onText)
        }
        let vocabulary = codec.vocabulary
        let condition = try category(options.category)
        let seedIDs: [Int32], unseen: [String]
        do { (seedIDs, unseen) = try codec.encode(seed, what: "the seed") } catch let error as CharRNNError {
            throw CharRNNError(error.description, option: "seed")
        }

        var forms: [VerseForm]?
        if options.form != nil || options.acrostic != nil || options.lines != nil {
            do {
                var verse = try VerseForm(vocabulary: metadata.vocab, unknownToken: metadata.unknownToken,
                                          charactersPerHalf: options.form, lines: options.lines,
                                          acrostic: try options.acrostic.map { try codec.tokenizer.tokens($0) })
                for id in seedIDs { try verse.advance(Int(id)) }
                forms = Array(repeating: verse, count: options.samples)
            } catch let error as VerseFormError {
                throw CharRNNError("\(error)", option: Self.option(at: error))
            }
        }

        try MemoryNeed.generation(network.shape, samples: options.samples)
            .check(what: "writing \(options.samples) samples at once", advice: "lower --samples")
        let generator = TextGenerator(network: network, samples: options.samples, category: condition,
                                      threads: options.threads)
        if let end = vocabulary.endToken {
            generator.prime([Int32(end)])
        } else if let newline = vocabulary.id(of: "\n") {
            generator.prime([Int32(newline), Int32(newline)])
        }
        generator.prime(seedIDs)
        let paragraphEnd = vocabulary.id(of: "\n").map { [$0, $0] } ?? []
        let drawn: [[Int]]
        do {
            drawn = try generator.generate(
                length: options.form != nil ? Int.max : options.length,
                settings: SamplingSettings(temperature: options.temperature, topK: options.topK, topP: options.topP),
                forms: forms, excluded: vocabulary.unknownToken.map { [$0] } ?? [], stop: vocabulary.endToken,
                stopAfter: options.stopAtParagraphEnd ? paragraphEnd : [], using: &rng,
                emit: { sample, token throws(GenerationError) in
                    if cancel?.isCancelled == true { throw .cancelled }
                    onText(sample, vocabulary.tokens[token])
                })
        } catch .cancelled {
            throw CancellationError()
        } catch {
            throw CharRNNError("\(error)")
        }
        return Generation(samples: drawn.map { seed + codec.text($0) }, unseenSeedLetters: unseen,
                          bitsPerToken: drawn.indices.map { bits(generator.logProbabilities[$0], tokens: drawn[$0].count) })
    }

    /// The option a verse-form error is about, as the command line spells it.
    static func option(at error: VerseFormError) -> String? {
        switch error {
        case .acrosticMismatch, .emptyAcrostic, .acrosticCharacter: "acrostic"
        case .breaksForm: "seed"
        case .invalidLineCount: "lines"
        case .invalidCharactersPerHalf: "form"
        default: nil
        }
    }

    /// The category index for a conditional generator, checked against the model.
    private func category(_ name: String?) throws -> (index: Int, count: Int)? {
        let categories = metadata.categories
        guard let name else {
            guard metadata.task != .conditionalGenerator else {
                throw CharRNNError("this model writes names by category; give --category, one of: " + categories.joined(separator: ", "),
                                   option: "category")
            }
            return nil
        }
        guard metadata.task == .conditionalGenerator else { throw CharRNNError("this model has no categories; drop --category \(name)", option: "category") }
        guard let index = categories.firstIndex(of: name) else {
            throw CharRNNError("no category \"\(name)\"; choose one of: " + categories.joined(separator: ", "), option: "category")
        }
        return (index, categories.count)
    }

    /// The model's loss on `text`, scored as one stream from a zero state (tokens 0 … N−2 fed,
    /// 1 … N−1 scored). A letter outside the vocabulary is the unknown token, or an error when
    /// the model has none.
    ///
    /// The text is not primed with a paragraph break: it is scored as it is given.
    ///
    /// - Parameter text: the text to score, at least two letters.
    /// - Returns: the number of letters scored and their mean loss.
    /// - Throws: ``CharRNNError`` when the model is not a language model, the text has fewer
    ///   than two letters, it has letters outside the vocabulary and the model has no unknown
    ///   token, or the loss is not finite (see ``score(ids:)``).
    /// - Complexity: one network step per letter scored, run in chunks of 256 steps.
    public func score(_ text: String) throws -> Score {
        guard metadata.task == .languageModel else { throw CharRNNError("scoring a text needs a language model") }
        let ids = try codec.encode(text).ids
        guard ids.count >= 2 else { throw CharRNNError("the text needs at least two letters to score one") }
        return try score(ids: ids)
    }

    /// The model's loss on a text given as ids (at least two).
    ///
    /// - Parameter ids: token ids of the model's vocabulary, for instance from
    ///   ``TextCodec/encode(_:what:)`` or ``TextCorpus/ids``.
    /// - Returns: the number of ids scored (all but the first) and their mean loss; 0 scored
    ///   for fewer than two ids.
    /// - Throws: ``CharRNNError`` when the loss is not finite: the model's scores overflowed
    ///   float32 (to ±∞ or NaN), which only weights of absurd size make them do.
    /// - Complexity: one network step per id, run in chunks of 256 steps.
    public func score(ids: [Int32]) throws -> Score {
        let (nats, count) = evaluateLanguageModel(network, tokens: ids)
        guard nats.isFinite else { throw CharRNNError.lossNotFinite(nats) }
        return Score(tokens: count, natsPerToken: nats)
    }
}
