// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "charrnn",
    products: [
        .executable(name: "charrnn", targets: ["charrnn"]),
        .library(name: "Tokenizer", targets: ["Tokenizer"]),
        .library(name: "Tensor", targets: ["Tensor"]),
        .library(name: "Model", targets: ["Model"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Sampling", targets: ["Sampling"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // The system ICU, found through pkg-config (Debian: apt-get install libicu-dev).
        .systemLibrary(
            name: "ICUSystem",
            pkgConfig: "icu-uc icu-i18n",
            providers: [.apt(["libicu-dev"])]
        ),
        // C wrappers around the ICU calls the tokenizer needs. ICU renames its C functions
        // with a version suffix through macros that Swift cannot import; these wrappers are
        // compiled by clang, which expands the macros, so Swift only sees plain names.
        .target(name: "CICU", dependencies: ["ICUSystem"]),
        // Unicode text in, tokens and ids out: NFC, grapheme and word segmentation, vocabulary.
        .target(name: "Tokenizer", dependencies: ["CICU"]),
        // Dense float32 matrices and the kernels an RNN needs; fast paths in CKernels.
        .target(name: "CKernels"),
        .target(name: "Tensor", dependencies: ["CKernels"]),
        // The safetensors file format: reading (with every check) and writing. No charrnn semantics.
        .target(name: "SafeTensors"),
        // Cells, forward/backward, loss, optimizers, model files.
        .target(name: "Model", dependencies: ["Tensor", "SafeTensors"]),
        // Sampling from logits (temperature, top-k, top-p) and verse-form constraints.
        .target(name: "Sampling", dependencies: ["Model", "Tensor"]),
        // Batching, training loops, evaluation: drives Model, reports through callbacks.
        .target(name: "Training", dependencies: ["Model", "Tensor"]),
        // The command-line tool: the only target that imports ArgumentParser or prints.
        .executableTarget(
            name: "charrnn",
            dependencies: [
                "Tokenizer",
                "Model",
                "Training",
                "Sampling",
                "SafeTensors",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Helpers for the test targets only (not a product).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer", "CICU", "TestSupport"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "TestSupport"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "TestSupport"]),
        .testTarget(
            name: "ModelTests", dependencies: ["Model", "Tensor", "SafeTensors", "TestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Model", "Tensor", "TestSupport"]),
        .testTarget(name: "SamplingTests", dependencies: ["Sampling", "Model", "Tensor", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["charrnn", "SafeTensors", "TestSupport"]),
    ]
)
