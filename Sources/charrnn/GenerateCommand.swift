// MARK: - charrnn generate

import ArgumentParser
import CharRNN
import Foundation

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
            continuation. The seed counts toward the form. --regulated (with --form) keeps one of \
            the four standard tone patterns (平仄, chosen by the first draws or by --pattern) and \
            one rhyme (set by the first rhyming character or by --rhyme), so every poem passes \
            `charrnn verse`; the pattern and rhyme are noted on standard error.
            """
    )

    @Option(help: "The model (.safetensors).")
    var model: String

    @Option(help: "Text that begins each sample and primes the model.")
    var seed: String?

    @Option(name: .customLong("seed-file"), help: "Read the seed text from this file.")
    var seedFile: String?

    @Option(help: "Sharpness of the distribution: 0 is greedy, 1 the model's own, above 1 wilder.")
    var temperature = GenerationOptions().temperature

    @Option(name: .customLong("top-k"), help: "Draw only among the k most likely letters.")
    var topK: Int?

    @Option(name: .customLong("top-p"), help: "Draw only among the most likely letters whose probabilities add up to p.")
    var topP: Float?

    @Option(help: "Letters to generate after the seed (a --form poem ends by itself).")
    var length = GenerationOptions().length

    @Flag(help: "End each sample at the end of its paragraph (a blank line), within --length.")
    var paragraph = false

    @Option(help: "How many samples to write.")
    var samples = GenerationOptions().samples

    @Option(help: "Threads for the output layer of a large vocabulary (default: all cores); the text does not depend on it.")
    var threads: Int?

    @Option(name: .customLong("rng-seed"), help: "Random seed: the same seed gives the same text (default: a random one).")
    var rngSeed: UInt64?

    @Option(help: "Chinese verse: 5 or 7 characters per half line.")
    var form: Int?

    @Option(help: "Number of lines (with --form; default 4, or one per acrostic character).")
    var lines: Int?

    @Option(help: "Characters that begin the lines, one per line (藏头诗).")
    var acrostic: String?

    @Flag(help: "Regulated verse (格律, with --form): keep a standard tone pattern and one rhyme.")
    var regulated = false

    @Option(help: "With --regulated: the tone pattern: 仄起, 仄起入韵, 平起 or 平起入韵 (ze, ze-rhymed, ping, ping-rhymed).")
    var pattern: String?

    @Option(help: "With --regulated: the rhyme group of 中华新韵, e.g. 唐 or tang (default: the first rhyming character's).")
    var rhyme: String?

    @Flag(help: "Also report the model's own bits per drawn token of each sample (temperature 1, before masks): json \"bits_per_token\", text on standard error.")
    var bits = false

    @Option(help: "The category to write in (conditional name generators).")
    var category: String?

    @Flag(help: "Read a --seed-file's invalid UTF-8 as U+FFFD instead of stopping.")
    var lossy = false

    @Option(help: "Output: text (streamed as it is written), or json (one document at the end).")
    var format: ReportFormat = .text

    var options: GenerationOptions {
        var o = GenerationOptions()
        (o.temperature, o.topK, o.topP, o.length, o.samples) = (temperature, topK, topP, length, samples)
        (o.form, o.lines, o.acrostic, o.category) = (form, lines, acrostic, category)
        o.stopAtParagraphEnd = paragraph
        (o.regulated, o.pattern, o.rhyme) = (regulated, pattern, rhyme)
        o.threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        return o
    }

    func validate() throws {
        if seed != nil && seedFile != nil { throw CharRNNError("give --seed or --seed-file, not both") }
        try options.validate()
    }

    func run() throws {
        let generator: LanguageModel
        do { generator = try LanguageModel(contentsOf: model) } catch let error as CharRNNError {
            throw error
        } catch {
            throw CharRNNError("\(error)")
        }
        var seedText = seed ?? ""
        if let seedFile { seedText = try TextSource(path: seedFile, lossy: lossy).readAll() }
        var rng = SeededGenerator(seed: rngSeed ?? UInt64.random(in: 0...UInt64.max))
        // Regulated poems are drafted and checked before one is kept: printed whole, at the end.
        let streaming = format == .text && samples == 1 && !regulated
        var out = OutputStream.standardOutput()
        let result: Generation
        // The seed is written with the first letter drawn, so that a seed or option the model
        // refuses prints nothing but the error.
        var seedWritten = !streaming
        do {
            result = try generator.generate(seed: seedText, options: options, using: &rng) { _, piece in
                guard streaming else { return }
                if !seedWritten {
                    out.append(seedText)
                    seedWritten = true
                }
                out.append(piece)
                out.flush()
            }
            if !seedWritten { out.append(seedText) }
        } catch let error as CharRNNError {
            throw CharRNNError("\(model): \(error)")
        }
        if !result.unseenSeedLetters.isEmpty {
            printNote("the seed has letters the model never saw, read as its unknown token: "
                + result.unseenSeedLetters.prefix(8).map(describeToken).joined(separator: ", "))
        }
        switch format {
        case .json:
            printJSON(result.document(bits: bits))
        case .text:
            if streaming {
                out.append(result.samples[0].hasSuffix("\n") ? "" : "\n")
            } else {
                // Names one per line; texts separated by a blank line.
                let separator = generator.metadata.endToken != nil ? "" : "\n"
                out.append(result.samples.map { $0.hasSuffix("\n") ? $0 : $0 + "\n" }.joined(separator: separator))
            }
            out.flush()
            for (i, verse) in result.verses.enumerated() {
                printNote((samples > 1 ? "sample \(i + 1): " : "") + "pattern \(verse.pattern.fullName), rhyme \(verse.rhyme.names)"
                    + (verse.drafts > 1 ? " (\(verse.drafts) drafts)" : ""))
            }
            if bits {
                printNote("bits per drawn token: " + result.bitsPerToken.map { String(format: "%.3f", $0) }.joined(separator: " "))
            }
        }
    }
}
