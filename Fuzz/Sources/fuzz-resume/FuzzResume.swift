// fuzz-resume: any bytes, as a training run's resume file. ResumeFile(contentsOf:) must return
// the run's state or throw a ModelFileError, never trap, hang or touch memory it does not own.
// A resume file it accepts, saved and read back, is the same state.

import FuzzSupport
import Model
import Tensor

/// The executable's entry point under SwiftPM (see FuzzSupport/Driver.swift).
@_cdecl("fuzz_resume_main")
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
    guard let resume = try? ResumeFile(contentsOf: path) else { return 0 }
    do { try resume.write(to: path) } catch {
        violated("a resume file that loads cannot be saved: \(error)")
    }
    let again: ResumeFile
    do { again = try ResumeFile(contentsOf: path) } catch {
        violated("a resume file that loads, once saved, does not load: \(error)")
    }
    if again.model.metadata != resume.model.metadata { violated("metadata changed in a save and reload") }
    if again.optimizerStep != resume.optimizerStep || again.progress != resume.progress {
        violated("the optimizer step or progress changed in a save and reload")
    }
    if !sameBits(again.model.network.parameters.array, resume.model.network.parameters.array)
        || !sameBits(again.optimizerFirst, resume.optimizerFirst)
        || !sameBits(again.optimizerSecond, resume.optimizerSecond)
        || again.carriedState.count != resume.carriedState.count
        || !zip(again.carriedState, resume.carriedState).allSatisfy({ sameBits($0, $1) })
    {
        violated("tensors changed in a save and reload")
    }
    return 0
}

func sameBits(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
}
