// Decompression of the .bz2 files Debian ships (NormalizationTest.txt.bz2), so the tests need no
// extra package: libbz2 is on every Debian system (dpkg itself links it), and it is loaded at run
// time rather than linked, so its headers are not needed either.

#if canImport(Glibc)
import Glibc
#endif

enum Bzip2Error: Error, CustomStringConvertible {
    case libraryMissing(String)
    case failed(Int32)

    var description: String {
        switch self {
        case .libraryMissing(let why): return "cannot load libbz2 (\(why)); apt-get install libbz2-1.0"
        case .failed(let code): return "BZ2_bzBuffToBuffDecompress failed with code \(code)"
        }
    }
}

/// The decompressed contents of bzip2 data whose decompressed size is at most `limit` bytes.
func bunzip2(_ data: [UInt8], limit: Int = 64 << 20) throws -> [UInt8] {
    typealias Decompress = @convention(c) (
        UnsafeMutablePointer<CChar>?, UnsafeMutablePointer<UInt32>?, UnsafeMutablePointer<CChar>?,
        UInt32, Int32, Int32
    ) -> Int32
    guard let library = dlopen("libbz2.so.1.0", RTLD_NOW) ?? dlopen("libbz2.so.1", RTLD_NOW) else {
        throw Bzip2Error.libraryMissing(String(cString: dlerror()))
    }
    defer { dlclose(library) }
    guard let symbol = dlsym(library, "BZ2_bzBuffToBuffDecompress") else {
        throw Bzip2Error.libraryMissing("no BZ2_bzBuffToBuffDecompress")
    }
    let decompress = unsafeBitCast(symbol, to: Decompress.self)
    var output = [UInt8](repeating: 0, count: limit)
    var length = UInt32(limit)
    var input = data
    let code = input.withUnsafeMutableBytes { source in
        output.withUnsafeMutableBytes { dest in
            decompress(
                dest.baseAddress!.assumingMemoryBound(to: CChar.self), &length,
                source.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(source.count), 0, 0)
        }
    }
    guard code == 0 else { throw Bzip2Error.failed(code) }  // BZ_OK
    output.removeSubrange(Int(length)...)
    return output
}
