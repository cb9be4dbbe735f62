// A forecaster's metadata: the `forecast` object, what it must hold, and which tasks may carry it.

import Testing
@testable import Model

@Suite("Forecast metadata")
struct ForecastMetadataTests {
    static let forecast = #"{"column": "co2", "lookback": 24, "horizon": 2, "season": 12, "scale_mean": 330.5, "#
        + #""scale_std": 9.75, "held_out_fraction": 0.2, "fill": "previous"}"#

    static func text(task: String = "forecaster", vocab: String = "[]", forecast: String? = Self.forecast) -> String {
        #"{"format_version": 1, "task": "\#(task)", "cell": "rnn_tanh", "hidden_size": 8, "num_layers": 2, "#
            + #""vocab": \#(vocab)"# + (forecast.map { #", "forecast": \#($0)"# } ?? "") + "}"
    }

    @Test func aForecasterReadsAndWritesItsSettings() throws {
        let metadata = try ModelMetadata.decode(fromMetadataString: Self.text())
        #expect(metadata.task == .forecaster && metadata.vocab.isEmpty)
        #expect(metadata.forecast == ForecastSettings(column: "co2", lookback: 24, horizon: 2, season: 12, scaleMean: 330.5,
                                                      scaleStd: 9.75, heldOutFraction: 0.2, fill: "previous"))
        // One real input, `horizon` outputs: W_ih_l0 [H, 1], W_ih_l1 [H, H], decoder [2, H].
        #expect(metadata.parameterCount == 8 * (1 + 8 + 2) + 8 * (8 + 8 + 2) + 2 * (8 + 1))
        #expect(ModelFile.shape(of: metadata) == NetworkShape(inputSize: 1, hiddenSize: 8, layers: 2, outputSize: 2,
                                                               denseInput: true))
        let again = try ModelMetadata.decode(fromMetadataString: try metadata.encodedString())
        #expect(again == metadata)
        // The vocabulary may be left out of a forecaster, and a season may be null.
        let bare = try ModelMetadata.decode(fromMetadataString: Self.text(vocab: "null", forecast: Self.forecast
            .replacingOccurrences(of: #""season": 12"#, with: #""season": null"#)))
        #expect(bare.vocab.isEmpty && bare.forecast?.season == nil)
        #expect(metadata.forecast?.target == nil && metadata.forecast?.predictsChange == false)  // "level" by default
        let change = try ModelMetadata.decode(fromMetadataString: Self.text(forecast: Self.forecast
            .replacingOccurrences(of: #""fill": "previous""#, with: #""fill": "none", "target": "change""#)))
        #expect(change.forecast?.predictsChange == true)
    }

    @Test func otherTasksEncodeNoForecastKey() throws {
        let metadata = try ModelMetadata(task: .languageModel, cell: .gru, hiddenSize: 4, numLayers: 1, vocab: ["a"])
        #expect(!(try metadata.encodedString()).contains("forecast"))
    }

    @Test(arguments: [
        (text(forecast: nil), ModelMetadataError.missingKey("forecast")),
        (text(task: "language-model", vocab: #"["a"]"#),
         .invalidValue(key: "forecast", reason: "is present, but only a forecaster has one")),
        (text(vocab: #"["a"]"#), .invalidValue(key: "vocab", reason: "has 1 entries, but a forecaster reads numbers, not tokens")),
        (text(forecast: forecast.replacingOccurrences(of: #""lookback": 24"#, with: #""lookback": 0"#)),
         .invalidValue(key: "forecast.lookback", reason: "is 0; it must be in 1...100000")),
        (text(forecast: forecast.replacingOccurrences(of: #""scale_std": 9.75"#, with: #""scale_std": 0"#)),
         .invalidValue(key: "forecast.scale_std", reason: "is 0.0; it must be a finite number above 0")),
        (text(forecast: forecast.replacingOccurrences(of: #""fill": "previous""#, with: #""fill": "zero""#)),
         .invalidValue(key: "forecast.fill", reason: #"is "zero"; expected "none" or "previous""#)),
        (text(forecast: #"[1, 2]"#), .wrongType(key: "forecast", expected: "an object")),
        (text(forecast: forecast.replacingOccurrences(of: #""fill": "previous""#, with: #""fill": "none", "target": "up""#)),
         .invalidValue(key: "forecast.target", reason: #"is "up"; expected "level" or "change""#)),
    ])
    func badForecastMetadataIsNamed(text: String, error: ModelMetadataError) {
        let thrown = #expect(throws: error) { try ModelMetadata.decode(fromMetadataString: text) }
        #expect(thrown?.description.contains("\n") == false)
    }
}
