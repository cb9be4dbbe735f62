// Model files that are not what they claim: each gives a typed error, never a crash or an
// allocation sized by the file's say-so.

import Foundation
import SafeTensors
import Testing
import TestSupport
import Tensor
@testable import Model

@Suite("Model files")
struct ModelFileTests {
    /// A valid tiny model's safetensors form, to break in different ways.
    static func valid(hidden: Int = 3) throws -> SafeTensorsFile {
        var rng = SeededGenerator(seed: 5)
        let network = RecurrentNetwork(shape: NetworkShape(inputSize: 4, hiddenSize: hidden, outputSize: 4), rng: &rng)
        let metadata = try ModelMetadata(task: .languageModel, cell: .rnnTanh, hiddenSize: hidden, numLayers: 1,
                                         vocab: ["a", "b", "c", "\n"])
        return try ModelFile(network: network, metadata: metadata).safetensors()
    }

    static func load(_ file: SafeTensorsFile) throws -> ModelFile {
        let temporary = try TemporaryFile(file.serialized(), name: "model.safetensors")
        return try ModelFile(contentsOf: temporary.path)
    }

    static func metadata(_ edit: (inout [String: Any]) -> Void) throws -> SafeTensorsFile {
        var file = try valid()
        var object = try JSONSerialization.jsonObject(with: Data(file.metadata["charrnn"]!.utf8)) as! [String: Any]
        edit(&object)
        file.metadata["charrnn"] = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        return file
    }

    @Test func validFileLoads() throws {
        let model = try Self.load(try Self.valid())
        #expect(model.network.shape == NetworkShape(inputSize: 4, hiddenSize: 3, outputSize: 4))
    }

    @Test func hugeSizesInTheMetadataAreCheckedAgainstTheTensors() throws {
        // Within the limits: refused by the tensors the file does not hold.
        let wide = try Self.metadata { $0["hidden_size"] = 65_536 }
        #expect { try Self.load(wide) } throws: { error in
            guard case ModelFileError.file(.shapeMismatch(_, let name, _, _)) = error else { return false }
            return name == "rnn.weight_ih_l0"
        }
        let deep = try Self.metadata { $0["num_layers"] = 64 }
        #expect { try Self.load(deep) } throws: { error in
            guard case ModelFileError.file(.missingTensor(_, let name)) = error else { return false }
            return name == "rnn.weight_ih_l1"
        }
        // Beyond them: refused by the metadata check, before any size is computed from them
        // (an LSTM's G·H with hidden_size 2^62 used to overflow and trap).
        for (key, value, limit) in [("hidden_size", 1 << 40, 65_536), ("hidden_size", 1 << 62, 65_536),
                                    ("hidden_size", Int.max, 65_536), ("num_layers", 1_000_000_000, 64), ("num_layers", Int.max, 64)] {
            let file = try Self.metadata {
                $0[key] = value
                $0["cell"] = "lstm"
            }
            #expect { try Self.load(file) } throws: { error in
                guard case ModelFileError.metadata(_, .invalidValue(key, let reason)) = error else { return false }
                return reason == "is \(value); it must be at most \(limit)"
            }
        }
    }

    @Test func missingWrongOrForeignContentsAreErrors() throws {
        var missing = try Self.valid()
        missing.remove("rnn.bias_hh_l0")
        #expect { try Self.load(missing) } throws: { "\($0)".contains("rnn.bias_hh_l0") }

        var wrongShape = try Self.valid()
        wrongShape.remove("decoder.bias")
        wrongShape.add("decoder.bias", shape: [5], floats: [0, 0, 0, 0, 0])
        #expect { try Self.load(wrongShape) } throws: { error in
            guard case ModelFileError.file(.shapeMismatch) = error else { return false }
            return true
        }

        var half = try Self.valid()
        half.remove("decoder.bias")
        half.add("decoder.bias", dtype: .f16, shape: [4], bytes: [UInt8](repeating: 0, count: 8))
        #expect { try Self.load(half) } throws: { error in
            guard case ModelFileError.file(.dtypeMismatch) = error else { return false }
            return true
        }

        var bare = try Self.valid()
        bare.metadata = [:]
        #expect { try Self.load(bare) } throws: { error in
            guard case ModelFileError.noMetadata = error else { return false }
            return "\(error)".contains("charrnn")
        }

        var garbage = try Self.valid()
        garbage.metadata["charrnn"] = "{not json"
        #expect { try Self.load(garbage) } throws: { error in
            guard case ModelFileError.metadata = error else { return false }
            return true
        }

        // An nn.RNN's tensors under an LSTM's label: the first tensor's 4·H rows are missing.
        let lstm = try Self.metadata { $0["cell"] = "lstm" }
        #expect { try Self.load(lstm) } throws: { error in
            guard case ModelFileError.file(.shapeMismatch(_, let name, _, _)) = error else { return false }
            return name == "rnn.weight_ih_l0"
        }

        // A repeated key: JSONSerialization would read 3 (and the file would load), Python 64.
        var repeated = try Self.valid()
        repeated.metadata["charrnn"] = repeated.metadata["charrnn"]!.replacingOccurrences(
            of: #""hidden_size":3"#, with: #""hidden_size":3,"hidden_size":64"#)
        #expect(repeated.metadata["charrnn"]!.contains(#""hidden_size":64"#))
        #expect { try Self.load(repeated) } throws: { error in
            guard case ModelFileError.metadata(_, .duplicateKey("hidden_size", [])) = error else { return false }
            return true
        }

        let noVocab = try Self.metadata { $0["vocab"] = nil }
        #expect { try Self.load(noVocab) } throws: { "\($0)".contains("vocab") }
    }

    // MARK: - Non-finite values

    /// `file` with element `index` (row-major) of tensor `name` set to `value`.
    static func poisoned(_ file: SafeTensorsFile, _ name: String, at index: Int, _ value: Float) throws -> SafeTensorsFile {
        var file = file
        let entry = try file.tensor(name)
        var values = try file.floats(name)
        values[index] = value
        file.add(name, shape: entry.shape, floats: values)
        return file
    }

    @Test(arguments: [("rnn.weight_ih_l0", 7, Float.nan, [1, 3]), ("rnn.weight_hh_l0", 0, .infinity, [0, 0]),
                      ("rnn.bias_ih_l0", 2, -.infinity, [2]), ("rnn.bias_hh_l0", 1, .nan, [1]),
                      ("decoder.weight", 11, Float(bitPattern: 0x7F80_0001), [3, 2]), ("decoder.bias", 3, .infinity, [3])])
    func nonFiniteWeightsAreRefusedNamingTheTensorAndIndex(_ name: String, _ index: Int, _ value: Float, _ subscripts: [Int]) throws {
        let file = try Self.poisoned(try Self.valid(), name, at: index, value)
        let temporary = try TemporaryFile(file.serialized(), name: "model.safetensors")
        let error = #expect(throws: ModelFileError.self) { try ModelFile(contentsOf: temporary.path) }
        guard case .file(.nonFinite(let path?, name, subscripts, let kind))? = error else {
            Issue.record("got \(String(describing: error))")
            return
        }
        #expect(path == temporary.path && kind == SafeTensorsError.NonFiniteValue(value))
        let message = error?.description ?? ""
        #expect(message.hasPrefix("\(temporary.path): tensor \"\(name)\" holds \(kind.rawValue) at \(subscripts)"), "\(message)")
        #expect(!message.contains("\n"))
    }

    @Test func extremeFiniteWeightsLoad() throws {
        var file = try Self.valid()
        file = try Self.poisoned(file, "decoder.weight", at: 0, .greatestFiniteMagnitude)
        file = try Self.poisoned(file, "decoder.weight", at: 1, -.greatestFiniteMagnitude)
        file = try Self.poisoned(file, "rnn.bias_ih_l0", at: 0, .leastNonzeroMagnitude)
        let model = try Self.load(file)
        #expect(model.network.layout.entry("decoder.weight")!.read(from: model.network.parameters)[0] == .greatestFiniteMagnitude)
    }

    /// A resume file of the valid model, with optimizer moments and carried state, as bytes.
    static func resume(first: [Float]? = nil, second: [Float]? = nil, state: [[Float]]? = nil) throws -> SafeTensorsFile {
        let model = try Self.load(try Self.valid())
        let count = model.network.parameterCount
        let folder = try TemporaryFile([], name: "keep")
        let path = (folder.path as NSString).deletingLastPathComponent + "/m.resume.safetensors"
        try ResumeFile(model: model, optimizerStep: 7, optimizerFirst: first ?? [Float](repeating: 0.5, count: count),
                       optimizerSecond: second ?? [Float](repeating: 0.25, count: count),
                       carriedState: state ?? [[1, -1, 0, 0.5, 0.5, 0.5]], progress: "{}").write(to: path)
        return try SafeTensorsFile(contentsOf: path)
    }

    static func loadResume(_ file: SafeTensorsFile) throws -> ResumeFile {
        let temporary = try TemporaryFile(file.serialized(), name: "m.resume.safetensors")
        return try ResumeFile(contentsOf: temporary.path)
    }

    @Test func resumeFilesWithNonFiniteMomentsOrStateAreRefused() throws {
        let good = try Self.loadResume(try Self.resume())
        #expect(good.optimizerStep == 7 && good.carriedState == [[1, -1, 0, 0.5, 0.5, 0.5]])

        let cases: [(SafeTensorsFile, String, [Int], SafeTensorsError.NonFiniteValue)] = [
            (try Self.poisoned(try Self.resume(), "optimizer.first", at: 5, .nan), "optimizer.first", [5], .nan),
            (try Self.poisoned(try Self.resume(), "optimizer.second", at: 0, .infinity), "optimizer.second", [0], .infinity),
            (try Self.poisoned(try Self.resume(), "state.h_l0", at: 4, -.infinity), "state.h_l0", [4], .negativeInfinity),
            (try Self.poisoned(try Self.resume(), "rnn.weight_hh_l0", at: 8, .nan), "rnn.weight_hh_l0", [2, 2], .nan),
        ]
        for (file, name, index, kind) in cases {
            let error = #expect(throws: ModelFileError.self) { try Self.loadResume(file) }
            guard case .file(.nonFinite(_, name, index, kind))? = error else {
                Issue.record("\(name): got \(String(describing: error))")
                continue
            }
            #expect(error?.description.contains("tensor \"\(name)\" holds \(kind.rawValue) at \(index)") == true)
        }
    }

    // MARK: - Resume entries

    @Test func aModelFileIsNotAResumeFile() throws {
        let model = try Self.valid()
        let temporary = try TemporaryFile(model.serialized(), name: "model.safetensors")
        let error = #expect(throws: ModelFileError.missingResumeEntry(file: temporary.path, key: "charrnn_resume")) {
            try ResumeFile(contentsOf: temporary.path)
        }
        #expect(error?.description == "\(temporary.path): no \"charrnn_resume\" entry in the safetensors metadata, so this "
            + "is not a resume file (a model file, perhaps): resume from the <out>.resume.safetensors that training writes "
            + "beside its model")
        #expect(error?.description.contains("no \"charrnn\" entry") == false)
    }

    @Test func resumeEntriesMissingOrWrongAreNamed() throws {
        var noStep = try Self.resume()
        noStep.metadata["charrnn_optimizer_step"] = nil
        let missing = #expect(throws: ModelFileError.self) { try Self.loadResume(noStep) }
        guard case .missingResumeEntry(_, "charrnn_optimizer_step")? = missing else {
            Issue.record("got \(String(describing: missing))")
            return
        }
        #expect(missing?.description.contains(#"no "charrnn_optimizer_step" entry in the safetensors metadata, which every "#
            + "resume file has") == true)

        for text in ["-1", "abc", "", "1.5", "99999999999999999999"] {
            var bad = try Self.resume()
            bad.metadata["charrnn_optimizer_step"] = text
            let error = #expect(throws: ModelFileError.self) { try Self.loadResume(bad) }
            guard case .invalidResumeEntry(_, "charrnn_optimizer_step", let reason)? = error else {
                Issue.record("\(text): got \(String(describing: error))")
                continue
            }
            #expect(reason == "is \(String(reflecting: text)), not a whole number ≥ 0")
            #expect(error?.description.hasSuffix(": the resume file is corrupt") == true)
        }

        // Without its own metadata, the model part is what is missing.
        var bare = try Self.resume()
        bare.metadata["charrnn"] = nil
        #expect { try Self.loadResume(bare) } throws: { error in
            guard case ModelFileError.noMetadata = error else { return false }
            return true
        }
    }

    @Test func truncatedModelFileIsAnError() throws {
        let bytes = try Self.valid().serialized()
        for cut in [0, 5, 8, 20, bytes.count / 2, bytes.count - 1] {
            let file = try TemporaryFile(Array(bytes.prefix(cut)), name: "model.safetensors")
            #expect(throws: ModelFileError.self) { try ModelFile(contentsOf: file.path) }
        }
        #expect(throws: ModelFileError.self) { try ModelFile(contentsOf: "/no/such/model.safetensors") }
    }
}

/// The inputs the fuzz targets found crashes with (Fuzz/crashes, Fuzz/README.md "Found") are
/// refused with an error now.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    @Test(arguments: ["fuzz-model-1", "fuzz-resume-1"])
    func crashInputsAreRefused(name: String) {
        let path = packageRoot + "/Fuzz/crashes/" + name
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(throws: ModelFileError.self) { try ModelFile(contentsOf: path) }
        #expect(throws: ModelFileError.self) { try ResumeFile(contentsOf: path) }
    }
}
