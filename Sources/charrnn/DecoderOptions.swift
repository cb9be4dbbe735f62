// MARK: - charrnn train's decoder flags: --decoder, --cutoffs, --div-value

import ArgumentParser
import CharRNN
import Foundation

/// The output layer of a language model.
enum DecoderOption: String, ExpressibleByArgument, CaseIterable {
    /// PyTorch's `nn.Linear`: a full softmax over the vocabulary.
    case linear
    /// PyTorch's `nn.AdaptiveLogSoftmaxWithLoss` (Grave et al. 2017).
    case adaptive
}

/// `--decoder adaptive [--cutoffs 2000,6000] [--div-value 4]`.
struct DecoderOptions: ParsableArguments {
    @Option(help: "The output layer: linear (a full softmax), or adaptive (PyTorch's adaptive softmax, for large vocabularies) (default: linear).")
    var decoder: DecoderOption?

    @Option(help: "With --decoder adaptive: the increasing ids where the head's shortlist and each cluster end, all below the vocabulary size (default: \(AdaptiveSoftmax.defaultCutoffs.map(String.init).joined(separator: ","))).")
    var cutoffs: String?

    @Option(name: .customLong("div-value"), help: "With --decoder adaptive: each cluster's projection is this many times narrower than the one before (default: \(Int(AdaptiveSoftmax.defaultDivValue))).")
    var divValue: Double?

    func validate() throws {
        if decoder != .adaptive && (cutoffs != nil || divValue != nil) {
            throw CharRNNError("--cutoffs and --div-value go with --decoder adaptive")
        }
        _ = try parsedCutoffs()
        if let divValue, !(divValue > 0 && divValue.isFinite) { throw CharRNNError("--div-value must be a positive number") }
    }

    /// The cutoffs given, as integers.
    private func parsedCutoffs() throws -> [Int]? {
        guard let cutoffs else { return nil }
        let parts = cutoffs.split(separator: ",", omittingEmptySubsequences: false)
        let values = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, values.count == parts.count else {
            throw CharRNNError("--cutoffs \(cutoffs): give increasing whole numbers separated by commas, such as 2000,6000")
        }
        return values
    }

    /// The adaptive decoder the flags ask for; nil for the linear one.
    func adaptiveSoftmax() throws -> AdaptiveSoftmax? {
        guard decoder == .adaptive else { return nil }
        return AdaptiveSoftmax(cutoffs: try parsedCutoffs() ?? AdaptiveSoftmax.defaultCutoffs,
                               divValue: divValue ?? AdaptiveSoftmax.defaultDivValue)
    }

    /// (flag, value given, value stored) for the flags that must agree with a stored model.
    func checks(against stored: AdaptiveSoftmax?) throws -> [(String, String?, String)] {
        let given = try adaptiveSoftmax()
        return [
            ("--decoder", decoder?.rawValue, stored == nil ? "linear" : "adaptive"),
            ("--cutoffs", cutoffs.flatMap { _ in given.map { describe($0.cutoffs) } },
             stored.map { describe($0.cutoffs) } ?? "(none)"),
            ("--div-value", divValue.map { "\($0)" }, stored.map { "\($0.divValue)" } ?? "(none)"),
        ]
    }

    private func describe(_ cutoffs: [Int]) -> String { cutoffs.map(String.init).joined(separator: ",") }
}
