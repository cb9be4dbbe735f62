// Which language each name on the command line is in, with the shipped classifier.
import CharRNN

let classifier = try NamesClassifier(contentsOf: "Models/names-classifier.safetensors")
let names = Array(CommandLine.arguments.dropFirst())

for result in classifier.classify(names.isEmpty ? ["Schmidt"] : names) {
    switch result {
    case .success(let answer):
        let top = answer.predictions.prefix(3).map { "\($0.category) \(Int(($0.probability * 100).rounded()))%" }
        print(answer.input, top.joined(separator: ", "), separator: "  ")
    case .failure(let error):
        print("error:", error)
    }
}
