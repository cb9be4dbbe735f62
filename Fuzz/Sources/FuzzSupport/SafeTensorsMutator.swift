// A mutator for safetensors files that keeps the 8-byte header length true.
//
// A safetensors file starts with the length of its JSON header; libFuzzer's byte mutations
// insert and erase bytes, and almost every one that does so in the header makes that length
// wrong, so the reader stops at its first check and never sees the mutated JSON (or the charrnn
// metadata inside it). This mutator splits an input whose length field fits it into the header
// and the data, lets libFuzzer mutate one of them (header 5 times in 8, data 2 in 8), and writes
// the new header length. One mutation in 8, and every input whose length field does not fit,
// is mutated as plain bytes, so the length field and truncation are still fuzzed.

import CLibFuzzer

/// For `LLVMFuzzerCustomMutator` in fuzz-model and fuzz-resume.
public func mutateSafeTensors(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    let choice = seed % 8
    guard choice != 7, size >= 8 else { return LLVMFuzzerMutate(data, size, maxSize) }
    var length: UInt64 = 0
    for index in (0..<8).reversed() { length = length << 8 | UInt64(data[index]) }
    guard length <= UInt64(size - 8) else { return LLVMFuzzerMutate(data, size, maxSize) }
    let headerLength = Int(length)
    var header = Array(UnsafeBufferPointer(start: data + 8, count: headerLength))
    var rest = Array(UnsafeBufferPointer(start: data + 8 + headerLength, count: size - 8 - headerLength))
    func mutate(_ part: inout [UInt8], room: Int) {
        guard room > 0 else { return }
        let count = part.count
        part += repeatElement(0, count: max(0, room - count))
        let n = part.withUnsafeMutableBufferPointer { LLVMFuzzerMutate($0.baseAddress!, count, room) }
        part.removeSubrange(n...)
    }
    if choice < 5 {
        mutate(&header, room: maxSize - 8 - rest.count)
    } else {
        mutate(&rest, room: maxSize - 8 - header.count)
    }
    let total = 8 + header.count + rest.count
    guard total <= maxSize else { return LLVMFuzzerMutate(data, size, maxSize) }
    var newLength = UInt64(header.count)
    for index in 0..<8 {
        data[index] = UInt8(truncatingIfNeeded: newLength)
        newLength >>= 8
    }
    (data + 8).update(from: header, count: header.count)
    (data + 8 + header.count).update(from: rest, count: rest.count)
    return total
}
