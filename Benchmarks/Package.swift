// swift-tools-version:6.1
// Benchmarks for charrnn, in a package of their own so that building charrnn never builds them.
import PackageDescription

let package = Package(
    name: "charrnn-benchmarks",
    dependencies: [
        .package(name: "charrnn", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "tokenizer-speed",
            dependencies: [.product(name: "Tokenizer", package: "charrnn")]
        ),
        // The CPU clock, medians and load average that kernel-speed and pointwise-speed share.
        .target(name: "BenchmarkTiming"),
        .executableTarget(
            name: "kernel-speed",
            dependencies: ["BenchmarkTiming", .product(name: "Tensor", package: "charrnn")]
        ),
        .executableTarget(
            name: "pointwise-speed",
            dependencies: ["BenchmarkTiming", .product(name: "Tensor", package: "charrnn")]
        ),
        // Independent FMA chains per instruction set (target attributes), for fma-peak.
        .target(name: "CFMAPeak"),
        .executableTarget(name: "fma-peak", dependencies: ["CFMAPeak"]),
    ]
)
