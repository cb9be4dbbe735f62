// The CharRNN module is charrnn as a library: what the command-line tool does, a Swift program
// can do with one import.
//
// - `LanguageModel`: load, save, generate (seed, temperature, top-k, top-p, verse forms,
//   acrostics; text handed over as it is drawn), score a text.
// - `NamesClassifier`, `NamesGenerator`: names by category (language).
// - `TextCorpus`, `NamesFolder`: the data, read with the model's tokenizer and vocabulary
//   (`TextCodec`).
// - `TextTrainer`, `NamesTrainer`: training from a `TrainingConfiguration`, through the one
//   `TrainingLoop` (limits, validation, plateaus, early stopping, checkpoints, exact resume),
//   reporting `TrainingEvent`s and stopped by a `CancellationToken`.
//
// Nothing here prints or reads global state; randomness is passed in.

@_exported import Classification
@_exported import Model
@_exported import Plots
@_exported import Sampling
@_exported import Tensor
@_exported import Tokenizer
@_exported import Training
@_exported import Verse

/// A failure of a charrnn operation, as the one line a user reads ("tang.txt: 3 letter(s) are
/// not in the model's vocabulary …").
///
/// The message says what went wrong and, where there is one, what to do about it. Where the
/// cause is a setting, the message names it as the command line spells it (`--top-k`,
/// `--category`). Errors of the lower layers (``ModelFileError``, ``TextInputError``,
/// ``VocabularyError``, …) can also be thrown; each reads as one line too.
public struct CharRNNError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The message, one line.
    public let description: String
    /// The option whose value is wrong, as the command line spells it without its dashes
    /// (`top-k`), when the error is about one; an HTTP client shows the error beside that field.
    public let option: String?

    /// An error with this message.
    ///
    /// - Parameters:
    ///   - description: the message, one line.
    ///   - option: the option it is about (`top-k`), if any.
    public init(_ description: String, option: String? = nil) {
        self.description = description
        self.option = option
    }

    /// An error about one option's value: "--`option` `problem`", e.g.
    /// `CharRNNError(option: "top-k", "must be at least 1")` reads "--top-k must be at least 1".
    ///
    /// - Parameters:
    ///   - option: the option as the command line spells it, without its dashes.
    ///   - problem: what is wrong with its value.
    public init(option: String, _ problem: String) {
        self.init("--\(option) \(problem)", option: option)
    }
}

/// Where a training run keeps its latest state for a resume, beside its model file `out`:
/// `out + ".resume.safetensors"`.
public func resumeFilePath(out: String) -> String { out + ".resume.safetensors" }

extension CharRNNError {
    /// A mean loss that is not finite: the model's scores overflowed float32 (to ±∞ or NaN),
    /// which only weights of absurd size make them do (NaN or infinite weights are refused when
    /// a model file is read).
    ///
    /// - Parameter nats: the loss, NaN or infinite.
    public static func lossNotFinite(_ nats: Double) -> CharRNNError {
        CharRNNError("the model's mean loss is \(nats.isNaN ? "NaN" : "infinite"): its scores overflow float32 (its weights are so large "
            + "that the arithmetic reaches infinity or NaN), so it cannot be scored; retrain it or use another model")
    }

    /// A model's scores for `what` (a name, "name 3 of names/") are not numbers (NaN): its
    /// weights are so large that float32 arithmetic overflows.
    public static func scoresNotNumbers(for what: String) -> CharRNNError {
        CharRNNError("\(what): the model's scores are not numbers (NaN): its weights are so large that float32 "
            + "arithmetic overflows; retrain it or use another model")
    }
}
