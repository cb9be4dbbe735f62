// A five-character quatrain (五言绝句) from the shipped Tang model, begun by a seed.
import CharRNN

let seed = CommandLine.arguments.dropFirst().first ?? "春"
let model = try LanguageModel(contentsOf: "Models/tang.safetensors")

var options = GenerationOptions()
options.form = 5
options.lines = 4
var rng = SystemRandomNumberGenerator()

// Each character is printed as it is drawn.
print(seed, terminator: "")
_ = try model.generate(seed: seed, options: options, using: &rng) { _, text in
    print(text, terminator: "")
}
print()
