// The entry point of a fuzz target built by SwiftPM.
//
// SwiftPM links an executable target on Linux with `--defsym main=<module>_main` (so that tests
// can import executables), and with `-parse-as-library` no `<module>_main` is emitted: linking
// fails with "undefined symbol 'fuzz_model_main'". Each target therefore defines that symbol
// itself with `@_cdecl("<module>_main")` and hands over to libFuzzer's driver, which is what
// libFuzzer's own `main` does. Built directly with `swiftc -sanitize=fuzzer -parse-as-library`,
// libFuzzer's `main` would call `LLVMFuzzerTestOneInput` instead; both paths run the same code.

import CLibFuzzer

/// Runs libFuzzer over `target` with the process's command line; returns its exit status.
public func runLibFuzzer(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
    _ target: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt {
    var argc = argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&argc, &argv, target)
}
