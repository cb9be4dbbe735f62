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
        let huge = try Self.metadata { $0["hidden_size"] = 1 << 40 }
        #expect { try Self.load(huge) } throws: { error in
            guard case ModelFileError.file(.shapeMismatch(_, let name, _, _)) = error else { return false }
            return name == "rnn.weight_ih_l0"
        }
        let deep = try Self.metadata { $0["num_layers"] = 1_000_000_000 }
        #expect { try Self.load(deep) } throws: { error in
            guard case ModelFileError.file(.missingTensor(_, let name)) = error else { return false }
            return name == "rnn.weight_ih_l1"
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

        let noVocab = try Self.metadata { $0["vocab"] = nil }
        #expect { try Self.load(noVocab) } throws: { "\($0)".contains("vocab") }
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
