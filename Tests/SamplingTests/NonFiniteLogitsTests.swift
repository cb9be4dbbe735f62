// Scores that overflowed: the sampler gives a defined distribution for any mix of NaN and
// infinities, and the generator refuses NaN scores with an error instead of drawing noise.

import Model
import Sampling
import Tensor
import Testing

@Suite("Non-finite logits")
struct NonFiniteLogitsTests {
    static let rows: [[Float]] = [
        [.nan, .nan, .nan, .nan], [.infinity, .infinity, .infinity, .infinity], [-.infinity, -.infinity, -.infinity, -.infinity],
        [.infinity, 1, .nan, .infinity], [-.infinity, .nan, 2, -.infinity], [.infinity, -.infinity, .nan, 0],
        [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .nan, .infinity],
        [.greatestFiniteMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 0], [1e30, 1e30, -1e30, .nan],
    ]

    /// What the documentation promises: NaN as −∞; the +∞ tokens share everything; with nothing
    /// above −∞, all allowed tokens alike (then top-k keeps the lowest ids).
    @Test func everyMixGivesADefinedDistributionAndDraw() {
        let masks: [TokenMask?] = [nil, TokenMask(count: 4, allowing: [1, 2]), TokenMask(count: 4, allowing: [2])]
        var rng = SeededGenerator(seed: 3)
        for logits in Self.rows {
            for mask in masks {
                for temperature: Float in [0, .leastNonzeroMagnitude, 0.5, 1, 100] {
                    for topK in [nil, 1, 2, 10] as [Int?] {
                        for topP in [nil, 0.01, 0.5, 1] as [Float?] {
                            let settings = SamplingSettings(temperature: temperature, topK: topK, topP: topP)
                            let p = probabilities(logits: logits, settings: settings, mask: mask)
                            let context = "\(logits) mask \(mask?.allowedIDs ?? [0, 1, 2, 3]) \(settings)"
                            #expect(p.allSatisfy { $0.isFinite && $0 >= 0 }, "\(context): \(p)")
                            #expect(abs(p.reduce(0, +) - 1) < 1e-12, "\(context): \(p)")
                            for id in 0..<4 where mask?.contains(id) == false { #expect(p[id] == 0, "\(context): \(p)") }
                            let allowed = (0..<4).filter { mask?.contains($0) ?? true }
                            let infinite = allowed.filter { logits[$0] == .infinity }
                            if !infinite.isEmpty && temperature > 0 && topK == nil && topP == nil {
                                for id in allowed {
                                    #expect(p[id] == (infinite.contains(id) ? 1 / Double(infinite.count) : 0), "\(context): \(p)")
                                }
                            }
                            if allowed.contains(where: { !logits[$0].isNaN && logits[$0] != -.infinity }) {
                                for id in allowed where logits[id].isNaN { #expect(p[id] == 0, "NaN as −∞: \(context): \(p)") }
                            }
                            for _ in 0..<3 {
                                let id = sampleToken(logits: logits, settings: settings, mask: mask, using: &rng)
                                #expect(p[id] > 0, "\(context): drew \(id) of probability \(p[id])")
                            }
                        }
                    }
                }
            }
        }
    }

    // MARK: - The generator

    /// A one-layer network of `cell` over 3 tokens whose weights are all `value`, except
    /// `rnn.weight_hh_l0` (`recurrent`).
    static func network(_ value: Float, recurrent: Float? = nil, cell: CellKind = .rnnTanh) -> RecurrentNetwork {
        var rng = SeededGenerator(seed: 1)
        let network = RecurrentNetwork(shape: NetworkShape(inputSize: 3, hiddenSize: 2, outputSize: 3, cell: cell), rng: &rng)
        for entry in network.layout.entries {
            let x = entry.name == "rnn.weight_hh_l0" ? recurrent ?? value : value
            entry.write([Float](repeating: x, count: entry.count), to: network.parameters)
        }
        return network
    }

    static func generate(_ network: RecurrentNetwork, prime: [Int32] = [0, 1], samples: Int = 2,
                         settings: SamplingSettings = SamplingSettings()) throws(GenerationError) -> [[Int]] {
        let generator = TextGenerator(network: network, samples: samples)
        generator.prime(prime)
        var rng = SeededGenerator(seed: 7)
        return try generator.generate(length: 20, settings: settings, forms: nil, using: &rng)
    }

    @Test(arguments: [CellKind.rnnTanh, .lstm, .gru])
    func scoresOfPlusInfinityShareTheDraws(cell: CellKind) throws {
        // Every weight the largest float: every logit is +∞ (h is 1 or, for the LSTM, positive),
        // except for the GRU, whose update gate (1) keeps h at 0, so its logits are the bias.
        let network = Self.network(.greatestFiniteMagnitude, cell: cell)
        let workspace = Workspace(shape: network.shape, batch: 1, steps: 1)
        workspace.prepareForInference(network, threads: 1)
        workspace.step(network, tokens: [0], state: HiddenState(shape: network.shape, batch: 1))
        let expected: Float = cell == .gru ? .greatestFiniteMagnitude : .infinity
        #expect(Array(workspace.logits(ofStream: 0)) == [expected, expected, expected])

        let drawn = try Self.generate(network, samples: 3)
        #expect(drawn.map(\.count) == [20, 20, 20])
        #expect(Set(drawn.joined()) == [0, 1, 2], "all three tokens share the probability")
        #expect(try Self.generate(network, settings: SamplingSettings(temperature: 0)) == [[Int]](repeating: [Int](repeating: 0, count: 20), count: 2),
                "greedy: ties go to the lowest id")
    }

    @Test func largeFiniteWeightsGiveADefinedResult() throws {
        // 1e30 everywhere: sums stay finite, every logit is the same huge number.
        let drawn = try Self.generate(Self.network(1e30), samples: 2)
        #expect(drawn.map(\.count) == [20, 20])
    }

    @Test func scoresThatAreNaNAreAnError() {
        // weight_ih = bias = +max: the first step's pre-activation is +∞ and h = 1; then
        // weight_hh · h = −∞ meets +∞: NaN from the second step on.
        let network = Self.network(.greatestFiniteMagnitude, recurrent: -.greatestFiniteMagnitude)
        #expect(throws: GenerationError.notANumber(position: 1)) { try Self.generate(network, prime: [0, 1]) }
        // Primed with one token the first draw is still fine; the NaN comes with the next step.
        #expect(throws: GenerationError.notANumber(position: 2)) { try Self.generate(network, prime: [0]) }
        let message = GenerationError.notANumber(position: 2).description
        #expect(message.hasPrefix("the model's scores for token 2 of the sample are not numbers (NaN)"))
        #expect(!message.contains("\n"))
    }
}
