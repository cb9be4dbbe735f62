// MARK: - Text files to token ids, for training and evaluation

/// The string of the unknown token, when a vocabulary needs one: U+FFFD REPLACEMENT CHARACTER,
/// which is also what a reader expects in place of a letter that could not be shown.
public let unknownTokenString = "\u{FFFD}"

/// A text file turned into token ids: read in chunks, normalized, cut and counted in one pass.
///
/// Build the vocabulary from the text itself, for a new model
/// (``init(path:unit:caseMapping:minCount:maxVocabulary:lossy:)``), or read the text with a
/// model's vocabulary, for evaluating or fine-tuning it (``init(path:model:lossy:)``).
public struct TextCorpus: Sendable {
    /// The tokens the ids refer to.
    public var vocabulary: Vocabulary
    /// The text, one id per token, in order.
    public var ids: [Int32]
    /// Letters outside the vocabulary that became the unknown token, with their counts.
    public var unknown: [(token: String, count: Int)] = []
    /// Invalid UTF-8 sequences replaced by U+FFFD (with `lossy`).
    public var replacements = 0
    /// What a token is, as the text was cut.
    public var unit: TokenUnit = .grapheme
    /// The case mapping applied before the text was cut.
    public var caseMapping: CaseMapping = .preserve

    /// The index of the first held-out token when the last `fraction` is held out (whole
    /// paragraphs: ``validationStart(tokens:fraction:newline:)``).
    ///
    /// - Parameter fraction: the share of the text to hold out, in [0, 1).
    /// - Returns: the index in ``ids`` of the first held-out token: the first paragraph (after
    ///   a blank line) past the cut, else the first line past it, else the cut itself;
    ///   `ids.count` when nothing is held out.
    public func validationStart(fraction: Double) -> Int {
        Training.validationStart(tokens: ids, fraction: fraction, newline: vocabulary.id(of: "\n").map(Int32.init))
    }

    /// The training and held-out parts when the last `fraction` is held out.
    ///
    /// - Parameter fraction: the share of the text to hold out, in [0, 1).
    /// - Returns: ``ids`` cut at ``validationStart(fraction:)``: the part before and the part
    ///   from there on.
    public func split(validationFraction fraction: Double) -> (training: [Int32], validation: [Int32]) {
        let cut = validationStart(fraction: fraction)
        return (Array(ids[..<cut]), Array(ids[cut...]))
    }

    /// Reads `path` and builds its vocabulary from its own letters, most frequent first. Letters
    /// seen fewer than `minCount` times, or beyond the `maxVocabulary` most frequent, become an
    /// unknown token (U+FFFD), which is then added to the vocabulary.
    ///
    /// - Parameters:
    ///   - path: a UTF-8 text file, or "-" for standard input. A leading byte order mark is
    ///     dropped.
    ///   - unit: what a letter is: a grapheme cluster or an ICU word.
    ///   - caseMapping: keep the case, or lowercase the text.
    ///   - minCount: letters seen fewer times become the unknown token (1: keep every letter).
    ///   - maxVocabulary: at most this many tokens in all, the unknown token included; the
    ///     rarest letters become the unknown token (nil: no limit).
    ///   - lossy: replace invalid UTF-8 with U+FFFD (counted in ``replacements``) instead of
    ///     failing.
    /// - Throws: ``TextInputError`` when the file cannot be read, is empty, or is not UTF-8 (and
    ///   `lossy` is false); ``ICUError`` when ICU fails on the text.
    /// - Complexity: one pass over the file, which is read in chunks of 1 MiB.
    public init(path: String, unit: TokenUnit = .grapheme, caseMapping: CaseMapping = .preserve, minCount: Int = 1,
                maxVocabulary: Int? = nil, lossy: Bool = false) throws
    {
        let (seen, provisionalIDs, _, replacements) = try Self.read(path: path, unit: unit, caseMapping: caseMapping, lossy: lossy)
        self.replacements = replacements
        (self.unit, self.caseMapping) = (unit, caseMapping)
        var occurrences = [Int](repeating: 0, count: seen.count)
        for id in provisionalIDs { occurrences[Int(id)] += 1 }
        var counts = TokenCounts()
        for (id, token) in seen.enumerated() { counts.add(token, count: occurrences[id]) }
        let needsUnknown = minCount > 1 && occurrences.contains { $0 < minCount }
            || maxVocabulary.map { counts.distinct > $0 } ?? false
        let vocabulary = try Vocabulary(counts: counts, minCount: minCount, maxSize: maxVocabulary,
                                        unknownToken: needsUnknown ? unknownTokenString : nil)
        let renumber = seen.map { Int32(vocabulary.id(of: $0) ?? vocabulary.unknownToken!) }
        self.vocabulary = vocabulary
        ids = provisionalIDs.map { renumber[Int($0)] }
        if vocabulary.unknownToken != nil {
            unknown = seen.enumerated().filter { vocabulary.id(of: $0.element) == nil }
                .map { (token: $0.element, count: occurrences[$0.offset]) }
                .sorted { $0.count > $1.count }
        }
    }

    /// Reads `path` with a model's vocabulary and text settings. Letters the vocabulary lacks
    /// become its unknown token; without one, they are an error that lists them.
    ///
    /// - Parameters:
    ///   - path: a UTF-8 text file, or "-" for standard input.
    ///   - metadata: the model's metadata: its unit, case mapping and vocabulary are used.
    ///   - lossy: replace invalid UTF-8 with U+FFFD (counted in ``replacements``) instead of
    ///     failing.
    /// - Throws: ``CharRNNError`` listing up to 8 missing letters (with their counts and first
    ///   positions) when the model has no unknown token; ``TextInputError`` when the file cannot
    ///   be read, is empty, or is not UTF-8; ``ICUError`` or ``VocabularyError`` as for
    ///   ``TextCodec/init(_:)``.
    /// - Complexity: one pass over the file, which is read in chunks of 1 MiB.
    public init(path: String, model metadata: ModelMetadata, lossy: Bool = false) throws {
        let vocabulary = try TextCodec(metadata).vocabulary
        let (seen, provisionalIDs, first, replacements) = try Self.read(
            path: path, unit: metadata.unit, caseMapping: metadata.caseMapping, lossy: lossy)
        self.replacements = replacements
        (unit, caseMapping) = (metadata.unit, metadata.caseMapping)
        var occurrences = [Int](repeating: 0, count: seen.count)
        for id in provisionalIDs { occurrences[Int(id)] += 1 }
        let missing = seen.enumerated().filter { vocabulary.id(of: $0.element) == nil }
            .map { (token: $0.element, count: occurrences[$0.offset], first: first[$0.offset]) }
            .sorted { $0.first < $1.first }
        if !missing.isEmpty && vocabulary.unknownToken == nil {
            let shown = missing.prefix(8).map { "\(describeToken($0.token)) ×\($0.count), first at token \($0.first)" }
                .joined(separator: "; ")
            throw CharRNNError("\(path): \(missing.count) letter(s) are not in the model's vocabulary and the model "
                + "has no unknown token: \(shown)\(missing.count > 8 ? ", …" : ""); remove them from the text, or "
                + "train a model whose vocabulary has them")
        }
        let renumber = seen.map { Int32(vocabulary.id(of: $0) ?? vocabulary.unknownToken ?? 0) }
        self.vocabulary = vocabulary
        ids = provisionalIDs.map { renumber[Int($0)] }
        unknown = missing.map { (token: $0.token, count: $0.count) }
    }

    /// One pass over the file: the distinct tokens in order of first appearance, and the text
    /// as indices into that list.
    private static func read(path: String, unit: TokenUnit, caseMapping: CaseMapping, lossy: Bool) throws
        -> (seen: [String], ids: [Int32], first: [Int], replacements: Int)
    {
        let source = try TextSource(path: path, lossy: lossy)
        let tokenizer = try Tokenizer(unit: unit, caseMapping: caseMapping)
        var provisional: [String: Int32] = [:]
        var seen: [String] = []
        var ids: [Int32] = []
        var first: [Int] = []  // where each distinct token first occurs (token offset)
        while let chunk = try source.next() {
            try tokenizer.forEachToken(in: chunk.text) { token in
                if let id = provisional[token] {
                    ids.append(id)
                } else {
                    let id = Int32(seen.count)
                    provisional[token] = id
                    seen.append(token)
                    first.append(ids.count)
                    ids.append(id)
                }
            }
        }
        return (seen, ids, first, source.replacements)
    }
}

extension TextCorpus {
    /// A text file read as `charrnn train` reads a corpus for a new model: `configuration`'s
    /// unit, case, `minCount`, `maxVocabulary` and `lossy`.
    ///
    /// - Parameters:
    ///   - path: a UTF-8 text file, or "-" for standard input.
    ///   - configuration: the training settings whose text settings apply.
    /// - Throws: as ``init(path:unit:caseMapping:minCount:maxVocabulary:lossy:)``.
    public init(path: String, configuration: TrainingConfiguration) throws {
        try self.init(path: path, unit: configuration.unit, caseMapping: configuration.caseMapping,
                      minCount: configuration.minCount, maxVocabulary: configuration.maxVocabulary,
                      lossy: configuration.lossy)
    }
}
