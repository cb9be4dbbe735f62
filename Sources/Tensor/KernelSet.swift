// MARK: - Which instruction set the fast kernels use

import CKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The instruction sets the C micro-kernels are compiled for.
public enum KernelSet: String, CaseIterable, Sendable {
    /// Plain C, vectorized by the compiler for the baseline target: runs everywhere.
    case portable
    /// AVX2 with FMA (x86-64 from 2013 on).
    case avx2
    /// AVX-512F.
    case avx512

    init(_ isa: CKISA) {
        switch isa {
        case CKISAAVX512: self = .avx512
        case CKISAAVX2: self = .avx2
        default: self = .portable
        }
    }

    var isa: CKISA {
        switch self {
        case .portable: CKISAPortable
        case .avx2: CKISAAVX2
        case .avx512: CKISAAVX512
        }
    }

    /// The best set this CPU supports.
    public static var best: KernelSet { KernelSet(ck_best_isa()) }

    /// Whether this CPU can run the set.
    public var isSupported: Bool { isa.rawValue <= ck_best_isa().rawValue }

    /// The sets this CPU can run, from portable up.
    public static var supported: [KernelSet] { allCases.filter(\.isSupported) }

    /// The set that runs fastest here: `best`, except AVX2 on a CPU that splits AVX-512
    /// operations in two (AMD Zen 4), where the AVX-512 kernels trained 8–15% slower.
    public static var preferred: KernelSet { KernelSet(ck_preferred_isa()) }

    /// The set the fast kernels use unless told otherwise: `preferred`, or what the environment
    /// variable `CHARRNN_KERNELS` (portable, avx2 or avx512) asks for, if the CPU supports it.
    public static let current: KernelSet = {
        if let value = getenv("CHARRNN_KERNELS"), let set = KernelSet(rawValue: String(cString: value)),
            set.isSupported
        {
            return set
        }
        return preferred
    }()
}
