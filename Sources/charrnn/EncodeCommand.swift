// MARK: - charrnn encode

import ArgumentParser
import CharRNN
import Foundation

struct Encode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a text as token ids and a JSON vocabulary, for training outside charrnn (PyTorch).",
        discussion: """
            The text is read and cut exactly as `charrnn train` reads it (UTF-8, NFC, grapheme \
            clusters or words, the case mapping). With --vocab-from MODEL the model's vocabulary, \
            unit and case are used, as `eval` and `train --init-from` use them; without it the \
            vocabulary is built from the text as `train` builds it (--unit, --case, --max-vocab, \
            --min-count). --ids gets one unsigned 32-bit little-endian integer per token; --json \
            gets the vocabulary and every metadata key of a language model that the text decides \
            (docs/python.md describes both).
            """
    )

    @Option(help: "The UTF-8 text to encode.")
    var corpus: String

    @Option(help: "Where to write the ids (4 bytes per token, little-endian).")
    var ids: String

    @Option(help: "Where to write the JSON description (vocabulary and model metadata).")
    var json: String

    @Option(name: .customLong("vocab-from"), help: "Use this model's vocabulary, unit and case.")
    var vocabFrom: String?

    @OptionGroup var vocabulary: VocabularyOptions

    @Option(name: .customLong("min-count"), help: "Letters seen fewer times become the unknown token (default: 1: keep all).")
    var minCount: Int?

    @Flag(help: "Replace invalid UTF-8 with U+FFFD (and say how many) instead of stopping.")
    var lossy = false

    func validate() throws {
        if vocabFrom != nil && (vocabulary.given || minCount != nil) {
            throw CharRNNError("--vocab-from takes the unit, case and vocabulary from the model; give it without "
                + "--unit, --case, --max-vocab and --min-count")
        }
    }

    func run() throws {
        try checkOutputs([OutputFile(ids, option: "--ids"), OutputFile(json, option: "--json")],
                         inputs: [(corpus, "--corpus")] + (vocabFrom.map { [($0, "--vocab-from")] } ?? []))
        let text: TextCorpus
        if let vocabFrom {
            let model = try ModelFile(contentsOf: vocabFrom)
            guard model.metadata.task == .languageModel else {
                throw CharRNNError("\(vocabFrom): a \(model.metadata.task.rawValue) model; encode --vocab-from needs a language model")
            }
            text = try TextCorpus(path: corpus, model: model.metadata, lossy: lossy)
        } else {
            var c = TrainingConfiguration()
            vocabulary.apply(to: &c)
            if let minCount { c.minCount = minCount }
            c.lossy = lossy
            try c.validate()
            text = try TextCorpus(path: corpus, configuration: c)
        }
        if text.replacements > 0 { printNote("\(corpus): replaced \(text.replacements) invalid UTF-8 sequence(s) with U+FFFD") }
        if !text.unknown.isEmpty {
            printNote("\(corpus): \(grouped(text.unknown.reduce(0) { $0 + $1.count })) letter(s) outside the vocabulary "
                + "written as the unknown token")
        }
        try text.writeEncoded(idsFile: ids, descriptionFile: json, corpus: corpus)
        printNote("\(corpus): wrote \(grouped(text.ids.count)) ids to \(ids) and a vocabulary of \(text.vocabulary.count) to \(json)")
    }
}
