// MARK: - Model files: a recurrent network and its metadata as safetensors

import SafeTensors
import Tensor

/// Why a model file could not be used.
public enum ModelFileError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The safetensors layer failed (unreadable, corrupt, missing or misshapen tensor).
    case file(SafeTensorsError)
    /// The file has no `charrnn` metadata: it was not saved as a charrnn model.
    case noMetadata(file: String)
    /// The `charrnn` metadata is invalid.
    case metadata(file: String, ModelMetadataError)
    /// A resume file has no `__metadata__[key]` (`charrnn_resume` or `charrnn_optimizer_step`).
    case missingResumeEntry(file: String, key: String)
    /// A resume file's `__metadata__[key]` holds something it cannot.
    case invalidResumeEntry(file: String, key: String, reason: String)

    public var description: String {
        switch self {
        case .file(let error):
            return error.description
        case .noMetadata(let file):
            return "\(file): no \"charrnn\" entry in the safetensors metadata; save the model with its "
                + "vocabulary metadata (see docs/model-format.md)"
        case .metadata(let file, let error):
            return "\(file): \(error.description)"
        case .missingResumeEntry(let file, let key):
            return "\(file): no \"\(key)\" entry in the safetensors metadata, "
                + (key == ResumeFile.progressKey
                    ? "so this is not a resume file (a model file, perhaps): resume from the <out>.resume.safetensors "
                        + "that training writes beside its model"
                    : "which every resume file has: the file is incomplete or was not written by charrnn")
        case .invalidResumeEntry(let file, let key, let reason):
            return "\(file): the safetensors metadata entry \"\(key)\" \(reason): the resume file is corrupt"
        }
    }
}

/// A model as stored in a file: the network and what it means (task, vocabulary, categories).
public struct ModelFile: Sendable {
    public var network: RecurrentNetwork
    public var metadata: ModelMetadata

    public init(network: RecurrentNetwork, metadata: ModelMetadata) {
        self.network = network
        self.metadata = metadata
    }

    /// The network shape a metadata object describes: one-hot input over the vocabulary (after
    /// the categories, for a conditional generator), output over the vocabulary or categories.
    public static func shape(of metadata: ModelMetadata) -> NetworkShape {
        let input = metadata.vocab.count + (metadata.task == .conditionalGenerator ? metadata.categories.count : 0)
        let output = metadata.task == .classifier ? metadata.categories.count : metadata.vocab.count
        if let forecast = metadata.forecast { return forecast.shape(of: metadata) }
        return NetworkShape(inputSize: input, hiddenSize: metadata.hiddenSize, layers: metadata.numLayers,
                            outputSize: output, cell: metadata.cell, adaptiveSoftmax: metadata.decoder)
    }

    /// Reads a model file, checking its metadata, every tensor's dtype and shape, and that
    /// every weight is finite.
    public init(contentsOf path: String) throws(ModelFileError) {
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile(contentsOf: path) } catch { throw .file(error) }
        try self.init(file, path: path)
    }

    /// The model in a safetensors file already read from `path`.
    init(_ file: SafeTensorsFile, path: String) throws(ModelFileError) {
        guard let text = file.metadata[ModelMetadata.metadataKey] else { throw .noMetadata(file: path) }
        let metadata: ModelMetadata
        do { metadata = try ModelMetadata.decode(fromMetadataString: text) } catch {
            throw .metadata(file: path, error)
        }
        // Every tensor's shape is checked against the file before anything is allocated: the
        // sizes in the metadata are only trusted once the file's own data confirms them. The
        // metadata's limits keep every size below (and the parameter count, computed with
        // overflow checks) far from Int's.
        guard let parameterCount = metadata.parameterCount else {
            throw .metadata(file: path, .invalidValue(key: "hidden_size", reason: "makes a network with more parameters "
                + "than an Int can count"))
        }
        let h = metadata.hiddenSize, gh = metadata.cell.gateCount * h
        let shapeOfMetadata = Self.shape(of: metadata)  // a forecaster's widths are not the vocabulary's
        let input = shapeOfMetadata.inputSize, output = shapeOfMetadata.outputSize
        var expected: [(String, [Int])] = []
        for layer in 0..<metadata.numLayers where metadata.cell != .tutorial {
            expected = [("rnn.weight_ih_l\(layer)", [gh, layer == 0 ? input : h]), ("rnn.weight_hh_l\(layer)", [gh, h]),
                        ("rnn.bias_ih_l\(layer)", [gh]), ("rnn.bias_hh_l\(layer)", [gh])]
            if layer == metadata.numLayers - 1 {
                if let adaptive = metadata.decoder {
                    expected += adaptive.tensors(hiddenSize: h, vocabularySize: output).map { ($0.name, $0.shape) }
                } else {
                    expected += [("decoder.weight", [output, h]), ("decoder.bias", [output])]
                }
            }
            for (name, dims) in expected {
                let entry: TensorEntry
                do { entry = try file.tensor(name) } catch { throw .file(error) }
                guard entry.dtype == .f32 else { throw .file(.dtypeMismatch(file: path, name: name, dtype: entry.dtype)) }
                guard entry.shape == dims else {
                    throw .file(.shapeMismatch(file: path, name: name, expected: dims, actual: entry.shape))
                }
            }
        }
        if metadata.cell == .tutorial {
            expected = [("i2h.weight", [h, input + h]), ("i2h.bias", [h]), ("i2o.weight", [output, input + h]),
                        ("i2o.bias", [output])]
            for (name, dims) in expected {
                let entry: TensorEntry
                do { entry = try file.tensor(name) } catch { throw .file(error) }
                guard entry.dtype == .f32 else { throw .file(.dtypeMismatch(file: path, name: name, dtype: entry.dtype)) }
                guard entry.shape == dims else {
                    throw .file(.shapeMismatch(file: path, name: name, expected: dims, actual: entry.shape))
                }
            }
        }
        let shape = Self.shape(of: metadata)
        let layout = ParameterLayout(shape)
        assert(layout.count == parameterCount, "the metadata's parameter count disagrees with the layout")
        let parameters = FloatBuffer(count: layout.count)
        for entry in layout.entries {
            do { entry.write(try file.finiteFloats(entry.name, shape: entry.shape), to: parameters) } catch {
                throw .file(error)
            }
        }
        self.init(network: RecurrentNetwork(shape: shape, parameters: parameters), metadata: metadata)
    }

    /// The safetensors form: PyTorch's tensor names and shapes, metadata under `charrnn`.
    public func safetensors() throws(ModelFileError) -> SafeTensorsFile {
        let text: String
        do { text = try metadata.encodedString() } catch { throw .metadata(file: "(model)", error) }
        var file = SafeTensorsFile(metadata: [ModelMetadata.metadataKey: text])
        for entry in network.layout.entries {
            file.add(entry.name, shape: entry.shape, floats: entry.read(from: network.parameters))
        }
        return file
    }

    /// Writes the model atomically (a temporary file renamed over `path`).
    public func write(to path: String) throws(ModelFileError) {
        let file = try safetensors()
        do { try file.write(to: path) } catch { throw .file(error) }
    }
}
