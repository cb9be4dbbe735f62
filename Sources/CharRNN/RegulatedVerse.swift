// MARK: - Regulated verse (格律): generation that keeps the tone pattern and the rhyme

import Foundation

/// One regulated poem as ``LanguageModel/generate(seed:options:using:cancel:onText:)`` wrote it.
public struct RegulatedVerse: Sendable, Equatable {
    /// The pattern the poem keeps (the one asked for, or the first that its characters fit).
    public var pattern: VersePattern
    /// The rhyme groups its couplets' last characters share.
    public var rhyme: RhymeGroups
    /// The poem's check: it keeps every rule (``VerseAnalysis/passes``).
    public var analysis: VerseAnalysis
    /// The drafts drawn for this sample (1 when the first was kept).
    public var drafts: Int
}

extension GenerationOptions {
    /// The regulation the options ask for, or `nil` without `regulated`.
    /// - Throws: ``CharRNNError`` for a pattern or rhyme that is unknown or given without `regulated`.
    public func regulation() throws -> Regulation? {
        guard regulated else {
            if pattern != nil { throw CharRNNError(option: "pattern", "needs --regulated") }
            if rhyme != nil { throw CharRNNError(option: "rhyme", "needs --regulated") }
            return nil
        }
        var regulation = Regulation()
        if let pattern {
            guard let p = VersePattern(name: pattern) else {
                throw CharRNNError("no pattern \"\(pattern)\"; choose one of: " + VersePattern.acceptedNames.joined(separator: ", "),
                                   option: "pattern")
            }
            regulation.pattern = p
        }
        if let rhyme {
            guard let g = RhymeGroup(name: rhyme) else {
                throw CharRNNError("no rhyme group \"\(rhyme)\"; choose one of: "
                    + RhymeGroup.allCases.map { "\($0.name) (\($0))" }.joined(separator: ", "), option: "rhyme")
            }
            regulation.rhyme = g
        }
        return regulation
    }

    func validateRegulation() throws {
        _ = try regulation()
        if regulated && form == nil { throw CharRNNError(option: "regulated", "needs --form 5 or 7") }
    }
}

/// A draft of a regulated poem: its tokens and text, the model's mean log-probability per token,
/// whether a mask forced a step, its check and pattern.
private struct Draft {
    var ids: [Int], text: String, meanLog: Double, forced: Bool, analysis: VerseAnalysis, pattern: VersePattern
}

/// Bits per token from a sum of natural-log probabilities.
func bits(_ logProbability: Double, tokens: Int) -> Double {
    tokens == 0 ? 0 : -logProbability / Double(tokens) / log(2)
}

extension LanguageModel {
    /// How many drafts a regulated sample may take before the call fails.
    static let regulatedDraftLimit = 8
    /// How many drafts are drawn, at most, when the masks keep little of the model's probability.
    static let regulatedCandidates = 4
    /// Below this share of the model's own probability at some step, a draft is "forced".
    static let forcedStep = 0.002

    /// Regulated verse: drafts drawn with the regulated form's masks, each checked with
    /// ``checkVerse(_:enteringRule:)``. A draft that keeps the rules and at no step had its mask
    /// keep less than 0.2% of the model's probability is taken. Otherwise up to 4 drafts are
    /// drawn and the one the model finds most likely (mean log-probability per token) is taken;
    /// a draft that breaks a rule (which the masks should make impossible) is never taken, and
    /// after 8 such drafts for a sample the call fails. All drafts of a round are drawn together,
    /// one stream each, from the one `rng`, so a seed repeats the poems.
    func generateRegulated(
        seed: String, options: GenerationOptions, using rng: inout some RandomNumberGenerator,
        cancel: CancellationToken?, onText: (_ sample: Int, _ text: String) -> Void
    ) throws -> Generation {
        let vocabulary = codec.vocabulary
        guard metadata.task == .languageModel else { throw CharRNNError("regulated verse needs a language model") }
        let seedIDs: [Int32], unseen: [String]
        do { (seedIDs, unseen) = try codec.encode(seed, what: "the seed") } catch let error as CharRNNError {
            throw CharRNNError(error.description, option: "seed")
        }
        let regulation = try options.regulation()!
        let verse: VerseForm
        do {
            var form = try VerseForm(vocabulary: metadata.vocab, unknownToken: metadata.unknownToken,
                                     charactersPerHalf: options.form, lines: options.lines,
                                     acrostic: try options.acrostic.map { try codec.tokenizer.tokens($0) },
                                     regulation: regulation)
            for id in seedIDs { try form.advance(Int(id)) }
            verse = form
        } catch let error as VerseFormError {
            throw CharRNNError("\(error)", option: Self.option(at: error))
        }
        try MemoryNeed.generation(network.shape, samples: options.samples)
            .check(what: "writing \(options.samples) samples at once", advice: "lower --samples")

        var drafts = [[Draft]](repeating: [], count: options.samples)
        var tries = [Int](repeating: 0, count: options.samples)
        var pending = Array(0..<options.samples)
        let settings = SamplingSettings(temperature: options.temperature, topK: options.topK, topP: options.topP)
        while !pending.isEmpty {
            let generator = TextGenerator(network: network, samples: pending.count, threads: options.threads)
            if let newline = vocabulary.id(of: "\n") { generator.prime([Int32(newline), Int32(newline)]) }
            generator.prime(seedIDs)
            var forms = [VerseForm](repeating: verse, count: pending.count)
            let drawn: [[Int]]
            do {
                drawn = try generator.generate(
                    length: Int.max, settings: settings, forms: forms,
                    excluded: vocabulary.unknownToken.map { [$0] } ?? [], using: &rng,
                    emit: { _, _ throws(GenerationError) in if cancel?.isCancelled == true { throw .cancelled } })
            } catch .cancelled {
                throw CancellationError()
            } catch {
                throw CharRNNError("\(error)")
            }
            var next: [Int] = []
            for (k, sample) in pending.enumerated() {
                tries[sample] += 1
                // Replay the draft through its form for the pattern it keeps.
                for id in drawn[k] { try? forms[k].advance(id) }
                let text = seed + codec.text(drawn[k])
                if let analysis = try? checkVerse(text), analysis.passes {
                    let pattern = regulation.pattern ?? forms[k].patterns?.first ?? analysis.closestPattern
                    drafts[sample].append(Draft(
                        ids: drawn[k], text: text,
                        meanLog: drawn[k].isEmpty ? 0 : generator.logProbabilities[k] / Double(drawn[k].count),
                        forced: generator.weakestMaskProbability[k] < Self.forcedStep, analysis: analysis, pattern: pattern))
                }
                let done = drafts[sample].contains { !$0.forced } || drafts[sample].count >= Self.regulatedCandidates
                if !done {
                    if tries[sample] >= Self.regulatedDraftLimit {
                        if drafts[sample].isEmpty {
                            throw CharRNNError("could not write a regulated poem that keeps every rule in \(tries[sample]) drafts; "
                                + "try another --rng-seed, --pattern or --rhyme")
                        }
                    } else {
                        next.append(sample)
                    }
                }
            }
            pending = next
        }

        var result = Generation(samples: [], unseenSeedLetters: unseen)
        for sample in 0..<options.samples {
            let candidates = drafts[sample]
            let chosen = candidates.first { !$0.forced } ?? candidates.max { $0.meanLog < $1.meanLog }!
            for id in chosen.ids { onText(sample, vocabulary.tokens[id]) }
            result.samples.append(chosen.text)
            result.bitsPerToken.append(-chosen.meanLog / log(2))
            result.verses.append(RegulatedVerse(pattern: chosen.pattern, rhyme: chosen.analysis.rhyme,
                                                analysis: chosen.analysis, drafts: tries[sample]))
        }
        return result
    }
}
