// The libFuzzer functions the fuzz targets call (see FuzzSupport): its driver, for their entry
// points, and its mutator, for the safetensors mutator. The library itself is linked by
// `-sanitize=fuzzer`.
#ifndef CLIBFUZZER_H
#define CLIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer with the command line argc/argv over the target `callback`; what libFuzzer's
/// own main() does. Available since LLVM 11.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

/// libFuzzer's own mutations of data[0 ..< size], in place, up to maxSize bytes; returns the new
/// size. For custom mutators.
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t maxSize);

#endif
