// fuzz-model: any bytes, as a model file. ModelFile(contentsOf:) must return a model or throw a
// ModelFileError, never trap, hang or touch memory it does not own. A model it accepts must
// also be usable: saved and read back it is the same model (metadata equal, every weight the
// same bits), and one inference step runs.

import FuzzSupport
import Model
import Tensor

/// The executable's entry point under SwiftPM (see FuzzSupport/Driver.swift).
@_cdecl("fuzz_model_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(UnsafeRawPointer(data) ?? UnsafeRawPointer(bitPattern: 1)!, size) }
}

/// Mutations that keep the header length true (see FuzzSupport/SafeTensorsMutator.swift).
@_cdecl("LLVMFuzzerCustomMutator")
public func customMutator(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    mutateSafeTensors(data, size, maxSize, seed)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let path = writeScratch(start, count)
    guard let model = try? ModelFile(contentsOf: path) else { return 0 }
    checkRoundTrip(model)
    checkStep(model.network)
    return 0
}

/// Saving a loaded model and reading it back gives the same model.
func checkRoundTrip(_ model: ModelFile) {
    let bytes: [UInt8]
    do { bytes = try model.safetensors().serialized() } catch {
        violated("a model that loads cannot be saved: \(error)")
    }
    let again: ModelFile
    do { again = try ModelFile(contentsOf: writeScratch(bytes)) } catch {
        violated("a model that loads, once saved, does not load: \(error)")
    }
    if again.metadata != model.metadata { violated("metadata changed in a save and reload") }
    if !sameBits(again.network.parameters, model.network.parameters) {
        violated("weights changed in a save and reload")
    }
}

/// One step of one stream from token 0 (every vocabulary has one), as generation does.
func checkStep(_ network: RecurrentNetwork) {
    let workspace = Workspace(shape: network.shape, batch: 1, steps: 1)
    workspace.prepareForInference(network)
    let state = HiddenState(shape: network.shape, batch: 1)
    workspace.step(network, tokens: [0], state: state)
    if workspace.logits(ofStream: 0).count != network.shape.outputSize { violated("logits of the wrong size") }
}

func sameBits(_ a: FloatBuffer, _ b: FloatBuffer) -> Bool {
    a.count == b.count && (0..<a.count).allSatisfy { a[$0].bitPattern == b[$0].bitPattern }
}
