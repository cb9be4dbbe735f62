// MARK: - Resume files: everything a stopped training run needs to continue exactly

import SafeTensors
import Tensor

/// A training run's state, in `<out>.resume.safetensors`: the latest weights and the model
/// metadata (so the file is also a loadable model), the optimizer's step and moments, the hidden
/// state carried into the next batch, and the trainer's own progress (data position, best
/// validation loss, settings, history) as a JSON string it defines.
public struct ResumeFile: Sendable {
    public var model: ModelFile
    public var optimizerStep: Int
    public var optimizerFirst: [Float]
    public var optimizerSecond: [Float]
    /// The carried state [B × H]: h of each layer, then, for an LSTM, c of each layer
    /// (`HiddenState.buffers`).
    public var carriedState: [[Float]]
    /// The trainer's progress, as JSON (kept under `__metadata__["charrnn_resume"]`).
    public var progress: String

    static let progressKey = "charrnn_resume"
    static let stepKey = "charrnn_optimizer_step"

    public init(model: ModelFile, optimizerStep: Int, optimizerFirst: [Float], optimizerSecond: [Float],
                carriedState: [[Float]], progress: String)
    {
        self.model = model
        self.optimizerStep = optimizerStep
        self.optimizerFirst = optimizerFirst
        self.optimizerSecond = optimizerSecond
        self.carriedState = carriedState
        self.progress = progress
    }

    /// Writes the file atomically.
    public func write(to path: String) throws(ModelFileError) {
        var file = try model.safetensors()
        file.metadata[Self.progressKey] = progress
        file.metadata[Self.stepKey] = String(optimizerStep)
        file.add("optimizer.first", shape: [optimizerFirst.count], floats: optimizerFirst)
        if !optimizerSecond.isEmpty { file.add("optimizer.second", shape: [optimizerSecond.count], floats: optimizerSecond) }
        for (index, state) in carriedState.enumerated() {
            file.add(Self.stateName(index, layers: model.network.shape.layers), shape: [state.count], floats: state)
        }
        do { try file.write(to: path) } catch { throw .file(error) }
    }

    /// The tensor name of carried state `index`: `state.h_l<k>`, then `state.c_l<k>`.
    static func stateName(_ index: Int, layers: Int) -> String {
        index < layers ? "state.h_l\(index)" : "state.c_l\(index - layers)"
    }

    /// Reads a resume file, checking that its optimizer and state tensors fit its model and
    /// that every value in them, as in the model, is finite.
    ///
    /// - Throws: `ModelFileError.missingResumeEntry` when `__metadata__` has no
    ///   `charrnn_resume` (a model file is not a resume file) or no `charrnn_optimizer_step`,
    ///   `.invalidResumeEntry` when the step is not a whole number ≥ 0, or the errors of reading
    ///   the model and the tensors.
    public init(contentsOf path: String) throws(ModelFileError) {
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile(contentsOf: path) } catch { throw .file(error) }
        guard let progress = file.metadata[Self.progressKey] else {
            throw .missingResumeEntry(file: path, key: Self.progressKey)
        }
        guard let stepText = file.metadata[Self.stepKey] else { throw .missingResumeEntry(file: path, key: Self.stepKey) }
        guard let step = Int(stepText), step >= 0 else {
            throw .invalidResumeEntry(file: path, key: Self.stepKey,
                                      reason: "is \(String(reflecting: stepText)), not a whole number ≥ 0")
        }
        let model = try ModelFile(file, path: path)
        let count = model.network.parameterCount
        do throws(SafeTensorsError) {
            let first = try file.finiteFloats("optimizer.first", shape: [count])
            let second = file.names.contains("optimizer.second") ? try file.finiteFloats("optimizer.second", shape: [count]) : []
            var state: [[Float]] = []
            let shape = model.network.shape
            // A run with no carried state (names models) has no state tensors.
            let carried = file.names.contains(Self.stateName(0, layers: shape.layers))
            for index in 0..<(!carried ? 0 : shape.cell == .lstm ? 2 * shape.layers : shape.layers) {
                let name = Self.stateName(index, layers: shape.layers)
                let values = try file.finiteFloats(name)
                guard values.count % shape.hiddenSize == 0 else {
                    throw SafeTensorsError.shapeMismatch(file: path, name: name, expected: [shape.hiddenSize],
                                                         actual: [values.count])
                }
                state.append(values)
            }
            self.init(model: model, optimizerStep: step, optimizerFirst: first, optimizerSecond: second,
                      carriedState: state, progress: progress)
        } catch {
            throw .file(error)
        }
    }
}
