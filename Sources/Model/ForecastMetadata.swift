// MARK: - A forecaster's metadata: the `forecast` object of a model file (task "forecaster")
//
//   "forecast": {"column": "co2", "lookback": 24, "horizon": 1, "season": 12,
//                "scale_mean": 331.9, "scale_std": 9.7, "held_out_fraction": 0.2, "fill": "none"}

/// What a forecaster needs besides its weights: which column it reads, how long a window it
/// sees, how many values it predicts, the season of the seasonal baseline, and the scaling of
/// the series (the mean and standard deviation of the training part only).
public struct ForecastSettings: Codable, Equatable, Sendable {
    /// Values per step of the input: one, the scaled series value.
    public static let inputWidth = 1
    /// The longest window accepted.
    public static let maxLookback = 100_000
    /// The most values predicted at once accepted.
    public static let maxHorizon = 10_000

    /// `column`: the CSV column the model was trained on.
    public var column: String
    /// `lookback` (≥ 1): past values the network reads for one prediction.
    public var lookback: Int
    /// `horizon` (≥ 1): values predicted at once, the decoder's outputs.
    public var horizon: Int
    /// `season`: the period of the seasonal baseline (the value one season ago), if any.
    public var season: Int?
    /// `scale_mean`, `scale_std`: the network reads and predicts (x − mean) / std.
    public var scaleMean: Double
    public var scaleStd: Double
    /// `held_out_fraction`: the share of the series' windows, at its end, held out in training.
    public var heldOutFraction: Double
    /// `fill`: how missing cells were treated: "none" (an error) or "previous".
    public var fill: String
    /// `target`: what the decoder predicts: the scaled values themselves (`"level"`, the
    /// default, also when the key is absent), or their change from the window's last value
    /// (`"change"`: the prediction is that value plus the output, which lets a trend run past
    /// the training part's range).
    public var target: String?

    /// Whether the decoder predicts the change from the window's last value.
    public var predictsChange: Bool { target == "change" }

    public init(column: String, lookback: Int, horizon: Int, season: Int?, scaleMean: Double, scaleStd: Double,
                heldOutFraction: Double, fill: String, target: String? = nil)
    {
        self.column = column
        self.lookback = lookback
        self.horizon = horizon
        self.season = season
        self.scaleMean = scaleMean
        self.scaleStd = scaleStd
        self.heldOutFraction = heldOutFraction
        self.fill = fill
        self.target = target
    }

    private enum CodingKeys: String, CodingKey {
        case column, lookback, horizon, season, scaleMean = "scale_mean", scaleStd = "scale_std"
        case heldOutFraction = "held_out_fraction", fill, target
    }

    /// The network a forecaster's metadata describes: one real value in per step, `horizon` out.
    public func shape(of metadata: ModelMetadata) -> NetworkShape {
        NetworkShape(inputSize: Self.inputWidth, hiddenSize: metadata.hiddenSize, layers: metadata.numLayers,
                     outputSize: horizon, cell: metadata.cell, denseInput: true)
    }

    /// Checks the values the JSON types alone do not.
    func validate() throws(ModelMetadataError) {
        func check(_ value: Int, _ key: String, _ limit: Int) throws(ModelMetadataError) {
            if value < 1 || value > limit {
                throw .invalidValue(key: "forecast.\(key)", reason: "is \(value); it must be in 1...\(limit)")
            }
        }
        try check(lookback, "lookback", Self.maxLookback)
        try check(horizon, "horizon", Self.maxHorizon)
        if let season { try check(season, "season", Self.maxLookback) }
        if !scaleMean.isFinite { throw .invalidValue(key: "forecast.scale_mean", reason: "is not a finite number") }
        if !(scaleStd.isFinite && scaleStd > 0) {
            throw .invalidValue(key: "forecast.scale_std", reason: "is \(scaleStd); it must be a finite number above 0")
        }
        if !(heldOutFraction >= 0 && heldOutFraction < 1) {
            throw .invalidValue(key: "forecast.held_out_fraction", reason: "is \(heldOutFraction); it must be in [0, 1)")
        }
        if let target, target != "level" && target != "change" {
            throw .invalidValue(key: "forecast.target", reason: "is \(String(reflecting: target)); expected \"level\" or \"change\"")
        }
        if fill != "none" && fill != "previous" {
            throw .invalidValue(key: "forecast.fill", reason: "is \(String(reflecting: fill)); expected \"none\" or \"previous\"")
        }
    }
}

extension ModelMetadata {
    /// A forecaster has `forecast` and no vocabulary or categories; no other task has `forecast`.
    func validateForecast() throws(ModelMetadataError) {
        switch (task, forecast) {
        case (.forecaster, nil):
            throw .missingKey("forecast")
        case (.forecaster, let forecast?):
            try forecast.validate()
            if !vocab.isEmpty {
                throw .invalidValue(key: "vocab", reason: "has \(vocab.count) entries, but a forecaster reads numbers, not tokens")
            }
        case (_, _?):
            throw .invalidValue(key: "forecast", reason: "is present, but only a forecaster has one")
        default: break
        }
    }
}
