// MARK: - Matrix products: C += op(A) · op(B)

import CKernels

/// Whether a matrix operand is used as stored or transposed.
public enum Transpose: Sendable {
    case none
    case transposed
}

/// The right operand of a matrix product, packed once into the panels the micro-kernel reads,
/// so that a weight matrix used at every time step is rearranged once per training step.
///
/// Layout: for each block of `kBlock` rows of op(B), for each panel of 32 columns, the block's
/// rows one after the other, 32 floats each, zero-padded past the last column.
public final class PackedMatrix {
    /// The rows (k) and columns (n) of op(B).
    public let rows: Int, columns: Int
    let panels: Int
    let storage: FloatBuffer

    static let kBlock = 256
    static let panelWidth = Int(CK_TILE_COLS)

    /// Allocates room for a k × n operand.
    public init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
        panels = (columns + Self.panelWidth - 1) / Self.panelWidth
        storage = FloatBuffer(count: rows * panels * Self.panelWidth)
    }

    /// Packs op(B), where B is stored row-major with row stride `ldb`.
    public func pack(_ b: UnsafePointer<Float>, ldb: Int, _ transpose: Transpose) {
        let w = Self.panelWidth
        var out = storage.pointer
        for p0 in stride(from: 0, to: rows, by: Self.kBlock) {
            let kc = min(Self.kBlock, rows - p0)
            for panel in 0..<panels {
                let j0 = panel * w
                let width = min(w, columns - j0)
                switch transpose {
                case .none:  // op(B)[p, j] = b[p * ldb + j]: rows of the panel are contiguous
                    for p in 0..<kc {
                        let row = b + ((p0 + p) &* ldb &+ j0)
                        for j in 0..<width { out[p &* w &+ j] = row[j] }
                        for j in width..<w { out[p &* w &+ j] = 0 }
                    }
                case .transposed:  // op(B)[p, j] = b[j * ldb + p]: read along b's rows
                    for j in 0..<width {
                        let column = b + ((j0 + j) &* ldb &+ p0)
                        for p in 0..<kc { out[p &* w &+ j] = column[p] }
                    }
                    if width < w {
                        for p in 0..<kc { for j in width..<w { out[p &* w &+ j] = 0 } }
                    }
                }
                out += kc * w
            }
        }
    }

    /// The packed panel for rows p0 ..< p0 + kc (a block start) and columns panel*32 ..< +32.
    func panel(block p0: Int, kc: Int, panel: Int) -> UnsafePointer<Float> {
        UnsafePointer(storage.pointer + p0 * panels * Self.panelWidth + panel * kc * Self.panelWidth)
    }
}

/// C[m × n] = (accumulate ? C : 0) + op(A) · op(B), all row-major with the given row strides.
///
/// - Parameters:
///   - transposeA: `.none` reads op(A)[i, p] = a[i * lda + p]; `.transposed` reads a[p * lda + i].
///   - transposeB: likewise for B, with op(B) of shape k × n.
///   - kernels: the micro-kernel variant to use (tests run each one).
/// - Complexity: 2·m·n·k floating-point operations.
public func matrixProduct(
    m: Int, n: Int, k: Int,
    _ a: UnsafePointer<Float>, lda: Int, _ transposeA: Transpose,
    _ b: UnsafePointer<Float>, ldb: Int, _ transposeB: Transpose,
    _ c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, kernels: KernelSet = .current
) {
    let packed = PackedMatrix(rows: k, columns: n)
    packed.pack(b, ldb: ldb, transposeB)
    matrixProduct(m: m, a, lda: lda, transposeA, packed, c, ldc: ldc, accumulate: accumulate, kernels: kernels)
}

/// C[m × n] = (accumulate ? C : 0) + op(A) · B, with B packed beforehand (k × n).
public func matrixProduct(
    m: Int, _ a: UnsafePointer<Float>, lda: Int, _ transposeA: Transpose,
    _ b: PackedMatrix, _ c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool,
    kernels: KernelSet = .current
) {
    let n = b.columns, k = b.rows
    if !accumulate {
        for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) }
    }
    guard m > 0, n > 0, k > 0 else { return }
    let isa = kernels.isa
    let mr = Int(CK_TILE_ROWS), nr = Int(CK_TILE_COLS)
    let rowPanels = (m + mr - 1) / mr
    let packedA = FloatBuffer(count: rowPanels * mr * min(k, PackedMatrix.kBlock))
    var edge = [Float](repeating: 0, count: mr * nr)
    let columnChunk = 1024 / nr  // panels per chunk: 1024 columns of B stay in cache

    for p0 in stride(from: 0, to: k, by: PackedMatrix.kBlock) {
        let kc = min(PackedMatrix.kBlock, k - p0)
        packRows(m: m, kc: kc, p0: p0, a, lda: lda, transposeA, into: packedA.pointer)
        for chunk in stride(from: 0, to: b.panels, by: columnChunk) {
            for rowBlock in stride(from: 0, to: rowPanels, by: 8) {
                for panel in chunk..<min(chunk + columnChunk, b.panels) {
                    let bPanel = b.panel(block: p0, kc: kc, panel: panel)
                    let j0 = panel * nr, width = min(nr, n - j0)
                    for rowPanel in rowBlock..<min(rowBlock + 8, rowPanels) {
                        let aPanel = UnsafePointer(packedA.pointer + rowPanel * mr * kc)
                        let i0 = rowPanel * mr, height = min(mr, m - i0)
                        if height == mr && width == nr {
                            ck_tile(isa, kc, aPanel, bPanel, c + i0 * ldc + j0, ldc)
                        } else {
                            edge.withUnsafeMutableBufferPointer { tile in
                                let t = tile.baseAddress!
                                t.update(repeating: 0, count: mr * nr)
                                ck_tile(isa, kc, aPanel, bPanel, t, nr)
                                for i in 0..<height {
                                    for j in 0..<width { c[(i0 + i) * ldc + j0 + j] += t[i * nr + j] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Packs rows of op(A), columns p0 ..< p0 + kc, into panels of 8 rows: panel r holds, for each
/// column p, the 8 values op(A)[8r ..< 8r + 8, p] (zero past the last row).
private func packRows(
    m: Int, kc: Int, p0: Int, _ a: UnsafePointer<Float>, lda: Int, _ transpose: Transpose,
    into out: UnsafeMutablePointer<Float>
) {
    let mr = Int(CK_TILE_ROWS)
    let rowPanels = (m + mr - 1) / mr
    for panel in 0..<rowPanels {
        let base = out + panel * mr * kc
        let i0 = panel * mr, height = min(mr, m - i0)
        switch transpose {
        case .none:  // op(A)[i, p] = a[i * lda + p]
            for i in 0..<height {
                let row = a + ((i0 + i) &* lda &+ p0)
                for p in 0..<kc { base[p &* mr &+ i] = row[p] }
            }
        case .transposed:  // op(A)[i, p] = a[p * lda + i]
            for p in 0..<kc {
                let row = a + ((p0 + p) &* lda &+ i0)
                for i in 0..<height { base[p &* mr &+ i] = row[i] }
            }
        }
        if height < mr {
            for p in 0..<kc { for i in height..<mr { base[p &* mr &+ i] = 0 } }
        }
    }
}
