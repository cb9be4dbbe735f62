// A mutator for safetensors files that keeps the 8-byte header length true, and reaches into
// the JSON strings of the header's metadata.
//
// A safetensors file starts with the length of its JSON header; libFuzzer's byte mutations
// insert and erase bytes, and almost every one that does so in the header makes that length
// wrong, so the reader stops at its first check and never sees the mutated JSON. And charrnn's
// own metadata is JSON inside a JSON string (`"charrnn": "{\"hidden_size\":2,...}"`), where a
// byte mutation mostly breaks the escaping. So an input whose length field fits it is split
// into header and data, and one of these is done (out of 16):
//   6  libFuzzer mutates the header bytes;
//   3  libFuzzer mutates one `__metadata__` value as plain text, which is written back escaped;
//   3  one number in the header becomes a value at an edge (0, -1, 2^31, 2^62, Int.max, ...);
//   2  libFuzzer mutates the data;
// then the new header length is written. In 2 mutations of 16, and for every input whose length
// field does not fit, libFuzzer mutates the input as plain bytes, so that the length field and
// truncation are still fuzzed.

import CLibFuzzer
import Foundation

/// For `LLVMFuzzerCustomMutator` in fuzz-model and fuzz-resume.
public func mutateSafeTensors(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    var random = SplitMix64(seed: UInt64(seed))
    let choice = random.next() % 16
    guard choice < 14, size >= 8 else { return LLVMFuzzerMutate(data, size, maxSize) }
    var length: UInt64 = 0
    for index in (0..<8).reversed() { length = length << 8 | UInt64(data[index]) }
    guard length <= UInt64(size - 8) else { return LLVMFuzzerMutate(data, size, maxSize) }
    let headerLength = Int(length)
    var header = Array(UnsafeBufferPointer(start: data + 8, count: headerLength))
    var rest = Array(UnsafeBufferPointer(start: data + 8 + headerLength, count: size - 8 - headerLength))
    let headerRoom = maxSize - 8 - rest.count
    switch choice {
    case 0..<6:
        libFuzzerMutate(&header, room: headerRoom)
    case 6..<9:
        if !mutateMetadataValue(&header, room: headerRoom, &random) { libFuzzerMutate(&header, room: headerRoom) }
    case 9..<12:
        if !replaceNumber(&header, &random) { libFuzzerMutate(&header, room: headerRoom) }
    default:
        libFuzzerMutate(&rest, room: maxSize - 8 - header.count)
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

/// libFuzzer's mutation of `part`, growing it to at most `room` bytes.
private func libFuzzerMutate(_ part: inout [UInt8], room: Int) {
    guard room > 0 else { return }
    let count = min(part.count, room)
    part += repeatElement(0, count: max(0, room - part.count))
    let n = part.withUnsafeMutableBufferPointer { LLVMFuzzerMutate($0.baseAddress!, count, room) }
    part.removeSubrange(n...)
}

/// Mutates one string value of the header's `__metadata__` as plain text and writes the header
/// back as JSON. False when the header is not a JSON object with such a value.
private func mutateMetadataValue(_ header: inout [UInt8], room: Int, _ random: inout SplitMix64) -> Bool {
    guard var root = (try? JSONSerialization.jsonObject(with: Data(header))) as? [String: Any],
        var metadata = root["__metadata__"] as? [String: Any]
    else { return false }
    let keys = metadata.keys.filter { metadata[$0] is String }.sorted()
    guard !keys.isEmpty else { return false }
    let key = keys[Int(random.next() % UInt64(keys.count))]
    var text = Array((metadata[key] as! String).utf8)
    libFuzzerMutate(&text, room: max(text.count * 2, 64))
    metadata[key] = String(decoding: text, as: UTF8.self)
    root["__metadata__"] = metadata
    guard let encoded = try? JSONSerialization.data(withJSONObject: root, options: [.sortedKeys]),
        encoded.count <= room
    else { return false }
    header = Array(encoded)
    return true
}

/// Values at the edges of what sizes and counts can hold: Int32 and Int64 limits, the products
/// that overflow when a dimension is multiplied by 3 or 4 gates, by itself, or by 4 bytes.
private let edgeValues: [String] = [
    "0", "-1", "1", "3", "4", "65535", "2147483647", "2147483648", "4294967295", "4294967296",
    "3037000499", "3037000500", "2305843009213693952", "3074457345618258603", "4611686018427387904",
    "9223372036854775807", "9223372036854775808", "-9223372036854775808", "1e308", "1.5",
]

/// Replaces one run of digits (with its sign) in `header` by an edge value. False if there is none.
private func replaceNumber(_ header: inout [UInt8], _ random: inout SplitMix64) -> Bool {
    var runs: [Range<Int>] = []
    var index = 0
    while index < header.count {
        let isDigit = { (byte: UInt8) in byte >= 0x30 && byte <= 0x39 }
        if isDigit(header[index]) {
            var start = index
            if start > 0, header[start - 1] == 0x2D { start -= 1 }  // a minus sign
            while index < header.count, isDigit(header[index]) { index += 1 }
            runs.append(start..<index)
        } else {
            index += 1
        }
    }
    guard !runs.isEmpty else { return false }
    let run = runs[Int(random.next() % UInt64(runs.count))]
    header.replaceSubrange(run, with: Array(edgeValues[Int(random.next() % UInt64(edgeValues.count))].utf8))
    return true
}

/// A small generator seeded by libFuzzer's seed, so that a mutation can be replayed.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
