// MARK: - Errors: what is wrong with a safetensors file, and where

/// Why a safetensors file could not be read, written or used.
///
/// `file` is the path the data came from, or `nil` for bytes given in memory. Every
/// `description` is one line: where, which tensor, what is wrong, and what to do.
public enum SafeTensorsError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file could not be opened or read; `reason` is the system's message.
    case unreadable(file: String, reason: String)
    /// The file (or its temporary sibling) could not be written; `reason` is the system's message.
    case unwritable(file: String, reason: String)
    /// The data is shorter than its layout needs: fewer than 8 bytes, a header longer than the
    /// rest of the file, or tensor data ending beyond the end of the file. Counts are whole-file
    /// bytes (`Int.max` stands for a size too large to count).
    case truncated(file: String?, expected: Int, actual: Int)
    /// The first 8 bytes declare a header longer than `SafeTensorsFile.maxHeaderLength`.
    case headerTooLarge(file: String?, length: UInt64)
    /// The header is not UTF-8, not JSON, or not a JSON object.
    case headerNotJSON(file: String?, reason: String)
    /// `__metadata__` is not an object whose values are all strings.
    case badMetadata(file: String?, reason: String)
    /// The header entry of tensor `name` lacks a field, has a field of the wrong type, an unknown
    /// dtype, a negative dimension, begin > end, or a size that overflows.
    case badEntry(file: String?, name: String, reason: String)
    /// Tensor `name`'s `data_offsets` span `actual` bytes, but its shape and dtype need `expected`.
    case sizeMismatch(file: String?, name: String, expected: Int, actual: Int)
    /// Two tensors claim some of the same bytes.
    case overlappingOffsets(file: String?, String, String)
    /// `length` bytes of the data buffer at `offset`, just before tensor `before`, belong to no tensor.
    case gapInData(file: String?, before: String, offset: Int, length: Int)
    /// `count` bytes after the last tensor belong to no tensor.
    case trailingData(file: String?, count: Int)
    /// The file has no tensor called `name`.
    case missingTensor(file: String?, name: String)
    /// Tensor `name` has element type `dtype`, not the one asked for (F32).
    case dtypeMismatch(file: String?, name: String, dtype: DType)
    /// Tensor `name` has shape `actual`, not the `expected` one.
    case shapeMismatch(file: String?, name: String, expected: [Int], actual: [Int])
    /// An object of the header holds `key` twice; `path` leads to that object from the header
    /// (empty: the header itself, so `key` is a tensor named twice or `__metadata__`).
    case duplicateKey(file: String?, key: String, path: [String])
    /// Tensor `name` holds a NaN or an infinity, first at `index` (one subscript per dimension).
    case nonFinite(file: String?, name: String, index: [Int], value: NonFiniteValue)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason):
            return "\(file): cannot read: \(reason)"
        case .unwritable(let file, let reason):
            return "\(file): cannot write: \(reason); check that the folder exists and is writable"
        case .truncated(let file, let expected, let actual):
            return "\(Self.place(file))the file is truncated: it has \(actual) bytes where its layout needs "
                + "\(expected); it is incomplete or not a safetensors file: save or copy it again"
        case .headerTooLarge(let file, let length):
            return "\(Self.place(file))the header length \(length) exceeds the limit of "
                + "\(SafeTensorsFile.maxHeaderLength) bytes: this is not a safetensors file, or it is corrupt"
        case .headerNotJSON(let file, let reason):
            return "\(Self.place(file))the header is not a JSON object (\(reason)): "
                + "this is not a safetensors file, or it is corrupt"
        case .badMetadata(let file, let reason):
            return "\(Self.place(file))\"__metadata__\" is invalid: \(reason); it must map strings to strings"
        case .badEntry(let file, let name, let reason):
            return "\(Self.place(file))tensor \(Self.quote(name)) has an invalid header entry: \(reason)"
        case .sizeMismatch(let file, let name, let expected, let actual):
            return "\(Self.place(file))tensor \(Self.quote(name)) needs \(expected) bytes for its shape and dtype, "
                + "but its data_offsets span \(actual): the header is corrupt"
        case .overlappingOffsets(let file, let first, let second):
            return "\(Self.place(file))tensors \(Self.quote(first)) and \(Self.quote(second)) overlap "
                + "in the data buffer: the header is corrupt"
        case .gapInData(let file, let before, let offset, let length):
            return "\(Self.place(file))\(length) bytes at data offset \(offset), before tensor "
                + "\(Self.quote(before)), belong to no tensor: the header is corrupt"
        case .trailingData(let file, let count):
            return "\(Self.place(file))\(count) bytes after the last tensor belong to no tensor: "
                + "the file is corrupt or something was appended to it"
        case .missingTensor(let file, let name):
            return "\(Self.place(file))there is no tensor \(Self.quote(name)): the file was saved by a "
                + "different kind of model, or is incomplete"
        case .dtypeMismatch(let file, let name, let dtype):
            return "\(Self.place(file))tensor \(Self.quote(name)) is \(dtype.rawValue), but only F32 tensors "
                + "can be read as floats: convert it to float32 before saving (in PyTorch: model.float())"
        case .shapeMismatch(let file, let name, let expected, let actual):
            return "\(Self.place(file))tensor \(Self.quote(name)) has shape \(actual), but \(expected) was "
                + "expected: the file was saved with a different configuration"
        case .duplicateKey(let file, let key, let path):
            let what: String
            switch path.first {
            case nil: what = key == "__metadata__" ? "has \"__metadata__\" twice" : "names tensor \(Self.quote(key)) twice"
            case "__metadata__" where path.count == 1: what = "has the \"__metadata__\" key \(Self.quote(key)) twice"
            case let tensor?:
                what = "has the key \(Self.quote(key)) twice in the entry of tensor \(Self.quote(tensor))"
                    + (path.count > 1 ? " (inside \(DuplicateJSONKey.describe(path.dropFirst())))" : "")
            }
            return "\(Self.place(file))the header \(what): readers would disagree on which one counts, so the "
                + "file is refused; it is corrupt or was edited by hand"
        case .nonFinite(let file, let name, let index, let value):
            return "\(Self.place(file))tensor \(Self.quote(name)) holds \(value.rawValue) at \(index): every value must be "
                + "a finite number; the model diverged in training or the file is corrupt"
        }
    }

    /// What a float that is not a finite number is.
    public enum NonFiniteValue: String, Equatable, Sendable {
        case nan
        case infinity = "inf"
        case negativeInfinity = "-inf"

        /// The kind of `value`, or nil when it is finite.
        public init?(_ value: Float) {
            if value.isNaN { self = .nan } else if value == .infinity { self = .infinity }
            else if value == -.infinity { self = .negativeInfinity } else { return nil }
        }
    }

    /// "path: " when the file is known, otherwise a generic prefix.
    private static func place(_ file: String?) -> String { "\(file ?? "safetensors data"): " }

    /// A tensor name in quotes, with escapes for control characters.
    private static func quote(_ name: String) -> String { String(reflecting: name) }
}
