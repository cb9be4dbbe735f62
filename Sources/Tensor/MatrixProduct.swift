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
/// Layout: for each block of `kBlock` rows of op(B), for each panel of 16 columns, the block's
/// rows one after the other, 16 floats each, zero-padded past the last column. A panel of 256
/// rows is 16 KB: it stays in the L1 cache while the micro-kernel runs it against many rows of A.
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
        for p0 in stride(from: 0, to: rows, by: Self.kBlock) {
            Self.packBlock(b, ldb: ldb, transpose, p0: p0, kc: min(Self.kBlock, rows - p0), columns: columns,
                           into: storage.pointer + p0 * panels * Self.panelWidth)
        }
    }

    /// Packs rows p0 ..< p0 + kc of op(B) (all `columns` of them) into consecutive panels of
    /// kc × 16 floats from `out`.
    static func packBlock(
        _ b: UnsafePointer<Float>, ldb: Int, _ transpose: Transpose, p0: Int, kc: Int, columns: Int,
        into out: UnsafeMutablePointer<Float>
    ) {
        let w = panelWidth, fullPanels = columns / w, width = columns - fullPanels * w
        let panelSize = kc * w
        switch transpose {
        case .none:  // op(B)[p, j] = b[p * ldb + j]: read B row by row, 16 floats to each panel
            for p in 0..<kc {
                let row = b + (p0 + p) &* ldb, panelRow = out + p &* w
                for q in 0..<fullPanels {
                    let values = UnsafeRawPointer(row + q &* w).loadUnaligned(as: SIMD16<Float>.self)
                    UnsafeMutableRawPointer(panelRow + q &* panelSize).storeBytes(of: values, as: SIMD16<Float>.self)
                }
                if width > 0 {
                    let last = panelRow + fullPanels &* panelSize, source = row + fullPanels &* w
                    for j in 0..<width { last[j] = source[j] }
                    for j in width..<w { last[j] = 0 }
                }
            }
        case .transposed:  // op(B)[p, j] = b[j * ldb + p]: read along b's rows
            for j0 in stride(from: 0, to: columns, by: w) {
                let panel = out + (j0 / w) &* panelSize
                for j in 0..<min(w, columns - j0) {
                    let column = b + ((j0 + j) &* ldb &+ p0)
                    for p in 0..<kc { panel[p &* w &+ j] = column[p] }
                }
            }
            if width > 0 {
                let last = out + fullPanels &* panelSize
                for p in 0..<kc { for j in width..<w { last[p &* w &+ j] = 0 } }
            }
        }
    }

    /// The packed panel for rows p0 ..< p0 + kc (a block start) and columns panel*16 ..< +16.
    func panel(block p0: Int, kc: Int, panel: Int) -> UnsafePointer<Float> {
        UnsafePointer(storage.pointer + p0 * panels * Self.panelWidth + panel * kc * Self.panelWidth)
    }
}

/// C[m × n] = (accumulate ? C : 0) + op(A) · op(B), all row-major with the given row strides.
///
/// A small product reads A and B in place; a large one (the weight gradients) copies each block
/// of B, and of A if transposed, into the micro-kernel's panels first, in one temporary
/// allocation. A transposed B (which no model product uses) is packed into a `PackedMatrix`.
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
    if transposeB == .transposed {
        let packed = PackedMatrix(rows: k, columns: n)
        packed.pack(b, ldb: ldb, transposeB)
        matrixProduct(m: m, a, lda: lda, transposeA, packed, c, ldc: ldc, accumulate: accumulate, kernels: kernels)
        return
    }
    blockedProduct(m: m, n: n, k: k, a, lda: lda, transposeA, .rows(b, ldb: ldb), c, ldc: ldc,
                   accumulate: accumulate, isa: kernels.isa)
}

/// C[m × n] = (accumulate ? C : 0) + op(A) · B, with B packed beforehand (k × n).
///
/// Allocates nothing unless A is transposed and the product large (see the other form).
public func matrixProduct(
    m: Int, _ a: UnsafePointer<Float>, lda: Int, _ transposeA: Transpose,
    _ b: PackedMatrix, _ c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool,
    kernels: KernelSet = .current
) {
    blockedProduct(m: m, n: b.columns, k: b.rows, a, lda: lda, transposeA, .packed(b), c, ldc: ldc,
                   accumulate: accumulate, isa: kernels.isa)
}

/// Where the micro-kernels find op(B).
private enum RightOperand {
    case packed(PackedMatrix)
    case rows(UnsafePointer<Float>, ldb: Int)  // op(B)[p, j] = b[p * ldb + j]
}

/// Rows of A per block: the 6-row tiles of a block share each panel of B while it is in the L1
/// cache, and the block's rows of A (144 × 256 floats = 144 KB) stay in the L2 cache while every
/// panel passes.
private let rowBlock = 24 * Int(CK_TILE_ROWS)

/// From this many multiply-adds, a product copies its operands into panels (a few percent of
/// the time of the product, allocation included) rather than reading them where they are:
/// - B as stored: its rows lie one row stride apart, and with a stride of a power of two
///   (H = 256 floats) a panel's 256 rows fall into few sets of the L1 cache and evict each other.
/// - A transposed: each step of a tile would touch a new cache line and, for a wide A
///   (dLogitsᵀ, V = 8800), a new page.
/// Measured on the weight gradients: 5 to 15% faster.
/// - A as stored, when B has at least `packRowsFromPanels` panels to share the copy: each tile
///   then reads one stream of A instead of six rows. Measured on the decoder's logits
///   (kernel-speed, AVX2, Zen 4): 2048 × 8800 × 256 and 2048 × 1024 × 256 about 5% faster; with
///   few panels the copy does not pay (2048 × 65 × 256 17% slower, 2048 × 256 × 8800 15%).
private let packOperandsFrom = 1 << 22
private let packRowsFromPanels = 64

/// The loops around the micro-kernels. For each block of `kBlock` steps, each block of rows of
/// A, each 16-column panel of B: the 6 × 16 tiles of C down the row block (12 × 8 tiles if the
/// panel is packed, the last, and 8 columns or fewer), and for the last one or two rows of A,
/// 2 × 32 tiles across. Each element of C gets the sum of each block (summed in step order from
/// zero) added in block order, whichever tile computes it and whether the operands were
/// copied: results do not depend on the blocking, on where a row sits in A, or on the run.
private func blockedProduct(
    m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int, _ transposeA: Transpose, _ b: RightOperand,
    _ c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, isa: CKISA
) {
    guard m > 0, n > 0 else { return }
    if k == 0 {
        if !accumulate { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
        return
    }
    let mr = Int(CK_TILE_ROWS), nr = Int(CK_TILE_COLS), kBlock = PackedMatrix.kBlock
    let panels = (n + nr - 1) / nr
    let shortRows = m % mr <= 2 ? m % mr : 0  // the last rows, done by ck_tile_wide
    let tallRows = m - shortRows
    // op(A)[i, p] = a[i * rsa + p * csa]
    let (rsa, csa) = transposeA == .none ? (lda, 1) : (1, lda)
    let large = m * n * k >= packOperandsFrom
    let packA = large && (transposeA == .transposed || panels >= packRowsFromPanels)
    var packB = false, packed = true  // whether B is copied; whether its panels are packed
    if case .rows = b { packB = large; packed = packB }

    // `scratch` holds the copy of A's row block, then the copy of B's step block.
    func run(scratch: UnsafeMutablePointer<Float>?) {
        let packedA = scratch, packedB = scratch.map { $0 + (packA ? rowBlock * kBlock : 0) }
        for p0 in stride(from: 0, to: k, by: kBlock) {
            let kc = min(kBlock, k - p0)
            let add: Int32 = accumulate || p0 > 0 ? 1 : 0
            if packB, case .rows(let rows, let ldb) = b {
                PackedMatrix.packBlock(rows, ldb: ldb, .none, p0: p0, kc: kc, columns: n, into: packedB!)
            }
            // Rows p0 ..< p0 + kc of columns 16q ..< 16q + 16 of op(B), and their stride.
            func panel(_ q: Int) -> (UnsafePointer<Float>, Int) {
                switch b {
                case .packed(let matrix): return (matrix.panel(block: p0, kc: kc, panel: q), nr)
                case .rows(let rows, let ldb):
                    return packB ? (UnsafePointer(packedB! + q * kc * nr), nr) : (rows + (p0 * ldb + q * nr), ldb)
                }
            }
            for i0 in stride(from: 0, to: m, by: rowBlock) {
                let i1 = min(i0 + rowBlock, m), tallEnd = min(i1, tallRows)
                if packA {
                    if transposeA == .transposed {
                        packTransposed(a, lda: lda, rows: i0..<i1, p0: p0, kc: kc, into: packedA!)
                    } else {
                        packRows(a, lda: lda, rows: i0..<i1, p0: p0, kc: kc, into: packedA!)
                    }
                }
                // Rows i ..< i + 6 of op(A), steps p0 ..< p0 + kc, and their strides.
                func rowsOfA(_ i: Int) -> (UnsafePointer<Float>, Int, Int) {
                    packA ? (UnsafePointer(packedA! + (i - i0) * kc), 1, mr) : (a + (i * rsa + p0 * csa), rsa, csa)
                }
                for q in 0..<panels {
                    let (bq, ldb) = panel(q)
                    let j0 = q * nr, cols = min(nr, n - j0)
                    if cols <= nr / 2 && packed {  // a narrow last panel: 12 × 8 tiles
                        for i in stride(from: i0, to: tallEnd, by: 2 * mr) {
                            let height = min(2 * mr, tallEnd - i)
                            let (ai, rs, cs) = rowsOfA(i)
                            let below = height > mr ? rowsOfA(i + mr).0 : ai
                            ck_tile_narrow(isa, kc, ai, below, rs, cs, bq, ldb, c + (i * ldc + j0), ldc, height, cols, add)
                        }
                        continue
                    }
                    if i0 < tallEnd {  // 6 × 16 tiles down the row block, in one call
                        let (ai, rs, cs) = rowsOfA(i0)
                        ck_tile_column(isa, kc, ai, packA ? kc : rs, rs, cs, bq, ldb, c + (i0 * ldc + j0), ldc,
                                       tallEnd - i0, cols, add)
                    }
                }
                if tallEnd < i1 {
                    let (ai, rs, cs) = rowsOfA(tallEnd)
                    for q in stride(from: 0, to: panels, by: 2) {
                        let (b0, ldb) = panel(q)
                        let b1 = q + 1 < panels ? panel(q + 1).0 : b0
                        let j0 = q * nr
                        ck_tile_wide(isa, kc, ai, rs, cs, b0, b1, ldb, c + (tallEnd * ldc + j0), ldc, i1 - tallEnd,
                                     min(2 * nr, n - j0), add)
                    }
                }
            }
        }
    }

    let scratch = (packA ? rowBlock * kBlock : 0) + (packB ? kBlock * panels * nr : 0)
    if scratch > 0 {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: scratch) { run(scratch: $0.baseAddress) }
    } else {
        run(scratch: nil)
    }
}

/// Copies rows `rows` of op(A) = Aᵀ (op(A)[i, p] = a[p * lda + i]), steps p0 ..< p0 + kc, into
/// 6-row panels from `out`: the panel of rows i ..< i + 6 starts at out + (i − rows.lowerBound)·kc
/// and holds op(A)[i + r, p0 + p] at 6p + r.
private func packTransposed(
    _ a: UnsafePointer<Float>, lda: Int, rows: Range<Int>, p0: Int, kc: Int, into out: UnsafeMutablePointer<Float>
) {
    let mr = Int(CK_TILE_ROWS), fullRows = rows.count - rows.count % mr
    for p in 0..<kc {  // read A row by row, 6 floats to each tile
        let row = a + ((p0 + p) &* lda &+ rows.lowerBound), tileRow = out + p &* mr
        for r in stride(from: 0, to: fullRows, by: mr) {
            let four = UnsafeRawPointer(row + r).loadUnaligned(as: SIMD4<Float>.self)
            let two = UnsafeRawPointer(row + r + 4).loadUnaligned(as: SIMD2<Float>.self)
            UnsafeMutableRawPointer(tileRow + r &* kc).storeBytes(of: four, as: SIMD4<Float>.self)
            UnsafeMutableRawPointer(tileRow + r &* kc + 4).storeBytes(of: two, as: SIMD2<Float>.self)
        }
        for i in fullRows..<rows.count { tileRow[fullRows &* kc &+ i &- fullRows] = row[i] }
    }
}

/// The same copy for op(A) = A (op(A)[i, p] = a[i * lda + p]): the 6-row panel of rows
/// i ..< i + 6 holds A[i + r, p0 + p] at 6p + r.
private func packRows(
    _ a: UnsafePointer<Float>, lda: Int, rows: Range<Int>, p0: Int, kc: Int, into out: UnsafeMutablePointer<Float>
) {
    let mr = Int(CK_TILE_ROWS)
    for t in stride(from: 0, to: rows.count, by: mr) {
        let panel = out + t &* kc
        for r in 0..<min(mr, rows.count - t) {
            let row = a + ((rows.lowerBound + t + r) &* lda &+ p0)
            for p in 0..<kc { panel[p &* mr &+ r] = row[p] }
        }
    }
}
