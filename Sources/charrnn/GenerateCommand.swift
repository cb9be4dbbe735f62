// MARK: - charrnn generate

import ArgumentParser
import Foundation
import Model
import Sampling
import Tensor
import Tokenizer

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write text with a language model, from a seed, at a temperature.",
        discussion: """
            The hidden state is primed with a paragraph break (when the model knows "\\n": the \
            start of a poem or chapter) and then the seed text, which begins each sample. Each \
            next letter is drawn from the model's distribution divided by --temperature (0: always \
            the most likely), cut to the --top-k most likely or the --top-p nucleus. --form 5|7 \
            writes Chinese verse whose --lines lines are each two halves of exactly 5 or 7 \
            characters (XXXXX，XXXXX。), and --acrostic 春夏秋冬 makes line i begin with the i-th \
            character (藏头诗); both work by masking the distribution, so every draw is a valid \
            continuation. The seed counts toward the form.
            """
    )

    @Option(help: "The model (.safetensors).")
    var model: String

    @Option(help: "Text that begins each sample and primes the model.")
    var seed: String?

    @Option(name: .customLong("seed-file"), help: "Read the seed text from this file.")
    var seedFile: String?

    @Option(help: "Sharpness of the distribution: 0 is greedy, 1 the model's own, above 1 wilder.")
    var temperature: Float = 0.8

    @Option(name: .customLong("top-k"), help: "Draw only among the k most likely letters.")
    var topK: Int?

    @Option(name: .customLong("top-p"), help: "Draw only among the most likely letters whose probabilities add up to p.")
    var topP: Float?

    @Option(help: "Letters to generate after the seed (a --form poem ends by itself).")
    var length = 500

    @Option(help: "How many samples to write.")
    var samples = 1

    @Option(help: "Threads for the output layer of a large vocabulary (default: all cores); the text does not depend on it.")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .customLong("rng-seed"), help: "Random seed: the same seed gives the same text.")
    var rngSeed: UInt64?

    @Option(help: "Chinese verse: 5 or 7 characters per half line.")
    var form: Int?

    @Option(help: "Number of lines (with --form; default 4, or one per acrostic character).")
    var lines: Int?

    @Option(help: "Characters that begin the lines, one per line (藏头诗).")
    var acrostic: String?

    @Option(help: "The category to write in (conditional name generators).")
    var category: String?

    @Option(help: "Output: text (streamed as it is written), or json (one document at the end).")
    var format: ReportFormat = .text

    func validate() throws {
        if seed != nil && seedFile != nil { throw ValidationError("give --seed or --seed-file, not both") }
        if !(temperature >= 0 && temperature.isFinite) { throw ValidationError("--temperature must be 0 or more") }
        if let topK, topK < 1 { throw ValidationError("--top-k must be at least 1") }
        if let topP, !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1]") }
        if length < 1 { throw ValidationError("--length must be at least 1") }
        if samples < 1 { throw ValidationError("--samples must be at least 1") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let form, form != 5 && form != 7 { throw ValidationError("--form is 5 or 7") }
        if let lines, lines < 1 { throw ValidationError("--lines must be at least 1") }
    }

    func run() throws {
        let file = try ModelFile(contentsOf: model)
        let metadata = file.metadata
        guard metadata.task != .classifier else {
            throw CommandError("\(model): a classifier; generate needs a language model or a name generator")
        }
        var condition: (index: Int, count: Int)?
        if let category {
            guard metadata.task == .conditionalGenerator else {
                throw CommandError("\(model) has no categories; drop --category \(category)")
            }
            guard let index = metadata.categories.firstIndex(of: category) else {
                throw CommandError("\(model) has no category \"\(category)\"; choose one of: "
                    + metadata.categories.joined(separator: ", "))
            }
            condition = (index, metadata.categories.count)
        } else if metadata.task == .conditionalGenerator {
            throw CommandError("\(model) writes names by category; give --category, one of: "
                + metadata.categories.joined(separator: ", "))
        }
        let vocabulary = try Vocabulary(tokens: metadata.vocab, unknownToken: metadata.unknownToken,
                                        endToken: metadata.endToken)
        let tokenizer = try Tokenizer(unit: TokenUnit(rawValue: metadata.unit.rawValue) ?? .grapheme,
                                      caseMapping: CaseMapping(rawValue: metadata.textCase.rawValue) ?? .preserve)

        // The seed, as the model's letters.
        var seedText = seed ?? ""
        if let seedFile { seedText = try TextSource(path: seedFile).readAll() }
        let seedTokens = try tokenizer.tokens(seedText)
        var seedIDs: [Int32] = []
        var unknownLetters: [String] = []
        for token in seedTokens {
            if let id = vocabulary.id(of: token) {
                seedIDs.append(Int32(id))
            } else if let unknown = vocabulary.unknownToken {
                seedIDs.append(Int32(unknown))
                unknownLetters.append(token)
            } else {
                unknownLetters.append(token)
            }
        }
        if !unknownLetters.isEmpty {
            let shown = unknownLetters.prefix(8).map(describeToken).joined(separator: ", ")
            if vocabulary.unknownToken == nil {
                throw CommandError("the seed has letters the model never saw: \(shown); leave them out of --seed")
            }
            printNote("the seed has letters the model never saw, read as its unknown token: \(shown)")
        }

        // The verse form, advanced through the seed.
        var forms: [VerseForm]?
        if form != nil || acrostic != nil || lines != nil {
            do {
                var verse = try VerseForm(vocabulary: metadata.vocab, unknownToken: metadata.unknownToken,
                                          charactersPerHalf: form, lines: lines,
                                          acrostic: try acrostic.map { try tokenizer.tokens($0) })
                for id in seedIDs { try verse.advance(Int(id)) }
                forms = Array(repeating: verse, count: samples)
            } catch let error as VerseFormError {
                throw CommandError("\(error)")
            }
        }

        // Prime: a name generator with its start marker (the end token); a text model with a
        // paragraph break (the start of a poem or chapter). Then the seed.
        let generator = TextGenerator(network: file.network, samples: samples, category: condition, threads: threads)
        if let end = vocabulary.endToken {
            generator.prime([Int32(end)])
        } else if let newline = vocabulary.id(of: "\n") {
            generator.prime([Int32(newline), Int32(newline)])
        }
        generator.prime(seedIDs)

        var rng = SeededGenerator(seed: rngSeed ?? UInt64.random(in: 0...UInt64.max))
        let settings = SamplingSettings(temperature: temperature, topK: topK, topP: topP)
        let streaming = format == .text && samples == 1
        var out = OutputStream.standardOutput()
        if streaming {
            out.append(seedText)
            out.flush()
        }
        let drawn: [[Int]]
        do {
            drawn = try generator.generate(
                length: form != nil ? Int.max : length, settings: settings, forms: forms,
                excluded: vocabulary.unknownToken.map { [$0] } ?? [], stop: vocabulary.endToken, using: &rng,
                emit: { _, token in
                    guard streaming else { return }
                    out.append(vocabulary.tokens[token])
                    out.flush()
                })
        } catch {
            throw CommandError("\(error)")
        }
        let texts = drawn.map { seedText + $0.map { vocabulary.tokens[$0] }.joined() }
        switch format {
        case .json:
            printJSON(["samples": texts])
        case .text:
            if streaming {
                out.append(texts[0].hasSuffix("\n") ? "" : "\n")
            } else {
                // Names one per line; texts separated by a blank line.
                let separator = vocabulary.endToken != nil ? "" : "\n"
                out.append(texts.map { $0.hasSuffix("\n") ? $0 : $0 + "\n" }.joined(separator: separator))
            }
            out.flush()
        }
    }
}
