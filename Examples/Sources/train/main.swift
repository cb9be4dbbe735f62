// Trains a small language model on a text file for a few seconds, then writes from it.
import CharRNN
import Foundation

let arguments = CommandLine.arguments
guard arguments.count > 1 else { print("usage: train FILE [SECONDS]"); exit(2) }
var configuration = TrainingConfiguration()
configuration.hiddenSize = 128
configuration.maxTime = arguments.count > 2 ? Double(arguments[2]) ?? 20 : 20

let trainer = try TextTrainer(corpus: arguments[1], configuration: configuration)
let summary = try trainer.run(out: "/tmp/charrnn-example.safetensors") { event in
    if case .validated(let step, let loss, _) = event { print(String(format: "step %d: %.3f bits/letter", step, loss / log(2))) }
}
print("stopped (\(summary.outcome.phrase)) after \(summary.steps) steps")

let model = try LanguageModel(contentsOf: "/tmp/charrnn-example.safetensors")
var options = GenerationOptions()
options.length = 300
var rng = SystemRandomNumberGenerator()
print(try model.generate(options: options, using: &rng).samples[0])
