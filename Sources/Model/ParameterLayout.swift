// The Model module: recurrent networks over one-hot letters, their gradients by backpropagation
// through time, the losses, the optimizers, and the model files.
//
// All parameters of a network live in one `FloatBuffer`; gradients and optimizer moments live in
// buffers of the same layout, so that an optimizer is one loop over flat memory and a checkpoint
// is one pass over the layout's entries.

import Tensor

/// The sizes of a network: what goes in, how wide and deep it is, what comes out.
public struct NetworkShape: Codable, Equatable, Sendable {
    /// Width of the one-hot input: the vocabulary size, plus the categories for a conditional
    /// generator (categories first).
    public var inputSize: Int
    /// Hidden units per layer (H).
    public var hiddenSize: Int
    /// Stacked layers (L); layer k > 0 reads layer k − 1's hidden state.
    public var layers: Int
    /// Width of the decoder's output: the vocabulary, or the categories of a classifier.
    public var outputSize: Int
    /// The recurrent cell of every layer.
    public var cell: CellKind
    /// Whether layer 0 reads real-valued inputs x_t ∈ ℝ^In (a product with W_ih, as a
    /// forecaster's series values) instead of one-hot positions (a gather of rows of W_ih).
    public var denseInput: Bool

    /// The decoder: nil for PyTorch's `nn.Linear` (`decoder.weight`, `decoder.bias`), or an
    /// adaptive softmax (`nn.AdaptiveLogSoftmaxWithLoss`, language models only).
    public var adaptiveSoftmax: AdaptiveSoftmax?

    public init(inputSize: Int, hiddenSize: Int, layers: Int = 1, outputSize: Int, cell: CellKind = .rnnTanh,
                denseInput: Bool = false, adaptiveSoftmax: AdaptiveSoftmax? = nil)
    {
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.outputSize = outputSize
        self.cell = cell
        self.denseInput = denseInput
        self.adaptiveSoftmax = adaptiveSoftmax
    }

    /// Rows of each layer's weights and biases: G·H, the gates stacked in PyTorch's order.
    public var gateWidth: Int { cell.gateCount * hiddenSize }
}

/// Where each named tensor lives in a network's flat parameter block.
///
/// Names and shapes are PyTorch's (`rnn.weight_ih_l0` is [G·H, In], G = 1, 4 or 3 for `nn.RNN`,
/// `nn.LSTM`, `nn.GRU`); only the layout in memory may differ: `weight_ih_l0` is kept
/// transposed, [In, G·H], so that the one-hot input is a gather of one contiguous row, and its
/// gradient a scatter-add into one row.
public struct ParameterLayout: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        /// PyTorch's name, such as `rnn.weight_hh_l0`.
        public var name: String
        /// PyTorch's shape, as stored in model files.
        public var shape: [Int]
        /// First element in the block.
        public var offset: Int
        /// Whether memory holds the transpose of `shape` (a 2-D tensor stored column-major).
        public var transposedInMemory: Bool
        /// Number of elements.
        public var count: Int { shape.reduce(1, *) }
    }

    public let entries: [Entry]
    /// Elements in the whole block.
    public let count: Int

    /// The layout of a recurrent network (`nn.RNN`, `nn.LSTM` or `nn.GRU`, + `nn.Linear` decoder, or
    /// `nn.AdaptiveLogSoftmaxWithLoss` stored as `decoder`).
    public init(_ shape: NetworkShape) {
        var entries: [Entry] = []
        var offset = 0
        func add(_ name: String, _ dims: [Int], transposed: Bool = false) {
            entries.append(Entry(name: name, shape: dims, offset: offset, transposedInMemory: transposed))
            offset += dims.reduce(1, *)
        }
        let h = shape.hiddenSize, gh = shape.gateWidth
        if shape.cell == .tutorial {  // two nn.Linear over [x, h], kept transposed: [In + H, H] and [In + H, Out]
            add("i2h.weight", [h, shape.inputSize + h], transposed: true)
            add("i2h.bias", [h])
            add("i2o.weight", [shape.outputSize, shape.inputSize + h], transposed: true)
            add("i2o.bias", [shape.outputSize])
            self.entries = entries
            self.count = offset
            return
        }
        for layer in 0..<shape.layers {
            let input = layer == 0 ? shape.inputSize : h
            add("rnn.weight_ih_l\(layer)", [gh, input], transposed: layer == 0)
            add("rnn.weight_hh_l\(layer)", [gh, h])
            add("rnn.bias_ih_l\(layer)", [gh])
            add("rnn.bias_hh_l\(layer)", [gh])
        }
        if let adaptive = shape.adaptiveSoftmax {
            for (name, dims) in adaptive.tensors(hiddenSize: h, vocabularySize: shape.outputSize) { add(name, dims) }
        } else {
            add("decoder.weight", [shape.outputSize, h])
            add("decoder.bias", [shape.outputSize])
        }
        self.entries = entries
        self.count = offset
    }

    /// The entry called `name`, if any.
    public func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }

    /// The offset of the entry called `name`; the name must exist.
    func offset(_ name: String) -> Int {
        guard let entry = entry(name) else { preconditionFailure("no parameter \(name)") }
        return entry.offset
    }
}

extension ParameterLayout.Entry {
    /// The tensor's values in PyTorch's order (row-major in `shape`), read from a block.
    public func read(from block: FloatBuffer) -> [Float] {
        let base = block.pointer + offset
        guard transposedInMemory, shape.count == 2 else { return Array(UnsafeBufferPointer(start: base, count: count)) }
        let (rows, columns) = (shape[0], shape[1])  // memory holds [columns, rows]
        var values = [Float](repeating: 0, count: count)
        for i in 0..<rows { for j in 0..<columns { values[i * columns + j] = base[j * rows + i] } }
        return values
    }

    /// Writes values given in PyTorch's order into a block.
    public func write(_ values: [Float], to block: FloatBuffer) {
        precondition(values.count == count, "\(name): \(values.count) values for \(count) elements")
        let base = block.pointer + offset
        guard transposedInMemory, shape.count == 2 else {
            values.withUnsafeBufferPointer { base.update(from: $0.baseAddress!, count: count) }
            return
        }
        let (rows, columns) = (shape[0], shape[1])
        for i in 0..<rows { for j in 0..<columns { base[j * rows + i] = values[i * columns + j] } }
    }

    /// Where element `index` (in PyTorch's row-major order) lives in the block.
    public func memoryIndex(of index: Int) -> Int {
        guard transposedInMemory, shape.count == 2 else { return offset + index }
        let (i, j) = index.quotientAndRemainder(dividingBy: shape[1])
        return offset + j * shape[0] + i
    }
}
