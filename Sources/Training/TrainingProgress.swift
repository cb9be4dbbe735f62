// MARK: - What a resume file records about a run

/// The trainer's side of a resume file: enough to continue a run exactly where it stopped.
public struct TrainingProgress: Codable, Equatable, Sendable {
    /// The settings the run was started with (they must not change on resume).
    public var settings: TrainingSettings
    /// The corpus, as tokens: how many, and a hash of their ids, to refuse a different text.
    public var corpusTokens: Int
    public var corpusHash: UInt64
    /// The share held out for validation.
    public var validationFraction: Double
    /// The batcher's position: the next batch within the epoch, and completed epochs.
    public var position: Int
    public var epoch: Int
    public var bestValidation: Double?
    public var bestStep: Int?
    public var history: [HistoryPoint]
    /// Seconds spent training before this file was written.
    public var seconds: Double
    /// Steps between validations, as the run was started with.
    public var validateEvery: Int?
    /// The stopping rules and the loop's state (plateau factor, stalled validations); absent
    /// from files written before the plateau and patience rules, which resume without them.
    public var rules: StoppingRules?
    public var loop: LoopState?

    public init(settings: TrainingSettings, corpusTokens: Int, corpusHash: UInt64, validationFraction: Double,
                position: Int, epoch: Int, bestValidation: Double?, bestStep: Int?, history: [HistoryPoint],
                seconds: Double, validateEvery: Int? = nil, rules: StoppingRules? = nil, loop: LoopState? = nil)
    {
        self.rules = rules
        self.loop = loop
        self.settings = settings
        self.corpusTokens = corpusTokens
        self.corpusHash = corpusHash
        self.validationFraction = validationFraction
        self.position = position
        self.epoch = epoch
        self.bestValidation = bestValidation
        self.bestStep = bestStep
        self.history = history
        self.seconds = seconds
        self.validateEvery = validateEvery
    }
}

/// FNV-1a over token ids: a fingerprint of a corpus, to check that a resumed run reads the same
/// text.
public func fingerprint(_ tokens: [Int32]) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for token in tokens {
        var value = UInt32(bitPattern: token)
        for _ in 0..<4 {
            hash = (hash ^ UInt64(value & 0xFF)) &* 0x100_0000_01b3
            value >>= 8
        }
    }
    return hash
}
