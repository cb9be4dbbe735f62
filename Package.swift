// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "charrnn",
    products: [
        .executable(name: "charrnn", targets: ["charrnn"]),
        // The HTTP server and its web page (`charrnn serve` runs it). A product of its own, so
        // that building `charrnn` does not compile the HTTP stack.
        .executable(name: "charrnn-serve", targets: ["charrnn-serve"]),
        // The library a Swift program imports: `import CharRNN`.
        .library(name: "CharRNN", targets: ["CharRNN"]),
        // The lower layers on their own, for the benchmarks package.
        .library(name: "Tokenizer", targets: ["Tokenizer"]),
        .library(name: "Tensor", targets: ["Tensor"]),
        // The model and resume file readers, for the fuzzing package (Fuzz/).
        .library(name: "Model", targets: ["Model"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // Hummingbird's own dependencies, named for the two types the server uses directly: the
        // listening channel's address (NIOCore) and graceful shutdown (ServiceLifecycle).
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
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
        // Cells, forward/backward, loss, optimizers, model files (whose metadata names the
        // tokenizer's unit and case).
        .target(name: "Model", dependencies: ["Tensor", "SafeTensors", "Tokenizer"]),
        // The rules of regulated Chinese verse: tones and rhymes of characters (a table generated
        // from Unihan by Corpora/build_tones.py), the standard patterns, the checker.
        .target(name: "Verse"),
        // Sampling from logits (temperature, top-k, top-p) and verse-form constraints.
        .target(name: "Sampling", dependencies: ["Model", "Tensor", "Verse"]),
        // A classifier's probabilities and their scores (accuracy, macro-F1, confusion matrix).
        .target(name: "Classification", dependencies: ["Model"]),
        // Batching, the training loop and trainers, evaluation: drives Model, reports through
        // events.
        .target(name: "Training", dependencies: ["Model", "Tensor", "Classification"]),
        // SVG charts (training curves, confusion matrices) and the confusion table for terminals.
        .target(name: "Plots", dependencies: ["Tokenizer"]),
        // The public API: language models, names classifiers and generators, their data, and the
        // one training driver. Re-exports the modules above, so a program needs only this import.
        .target(name: "CharRNN", dependencies: ["Tokenizer", "Tensor", "Model", "Classification", "Training", "Sampling", "Plots", "Verse"]),
        // The command-line tool: argument parsing and output over CharRNN; with charrnn-serve,
        // the only target that imports ArgumentParser or prints.
        .executableTarget(
            name: "charrnn",
            dependencies: [
                "CharRNN",
                "SafeTensors",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The HTTP API and the web page over CharRNN: routes, the bounded work queue, the
        // page (`CharRNNServer`). Run by charrnn-serve, which only parses its options.
        .target(
            name: "Server",
            dependencies: [
                "CharRNN",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "charrnn-serve",
            dependencies: ["Server", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // Helpers for the test targets only (not a product).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer", "CICU", "TestSupport"]),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "TestSupport"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "TestSupport"]),
        .testTarget(
            name: "ModelTests", dependencies: ["Model", "Tensor", "SafeTensors", "TestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Classification", "Model", "Tensor", "TestSupport"]),
        .testTarget(name: "SamplingTests", dependencies: ["Sampling", "Verse", "Model", "Tensor", "TestSupport"]),
        .testTarget(name: "PlotsTests", dependencies: ["Plots"]),
        .testTarget(name: "VerseTests", dependencies: ["Verse", "TestSupport"]),
        .testTarget(name: "CharRNNTests", dependencies: ["CharRNN", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["charrnn", "CharRNN", "SafeTensors", "TestSupport"],
                    exclude: ["CommonSurnames"]),
        // The server and the tool as built programs, run as child processes.
        .testTarget(name: "ServerTests", dependencies: ["charrnn-serve", "charrnn", "TestSupport"]),
    ]
)
