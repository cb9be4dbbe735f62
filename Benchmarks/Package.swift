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
        .executableTarget(
            name: "kernel-speed",
            dependencies: [.product(name: "Tensor", package: "charrnn")]
        ),
        .executableTarget(
            name: "pointwise-speed",
            dependencies: [.product(name: "Tensor", package: "charrnn")]
        ),
        // Independent FMA chains per instruction set (target attributes), for fma-peak.
        .target(name: "CFMAPeak"),
        .executableTarget(name: "fma-peak", dependencies: ["CFMAPeak"]),
    ]
)
