// swift-tools-version:6.1
// libFuzzer targets for charrnn's readers, in a package of their own so that building charrnn
// never builds them. Build and run with ./run.sh (see README.md); the flags are not the default
// ones: every target needs `-sanitize=fuzzer` and `-parse-as-library`.
import PackageDescription

let package = Package(
    name: "charrnn-fuzz",
    dependencies: [
        .package(name: "charrnn", path: ".."),
    ],
    targets: [
        // A scratch file per process that each input is written to (the readers take paths).
        // libFuzzer's driver, declared for Swift; the entry point each target defines calls it.
        .target(name: "CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"]),
        // Bytes as a model file: ModelFile(contentsOf:), then, when it loads, a save and reload
        // that must give the same model, and one inference step.
        .executableTarget(
            name: "fuzz-model",
            dependencies: ["FuzzSupport", .product(name: "Model", package: "charrnn")]
        ),
        // Bytes as a resume file: ResumeFile(contentsOf:), then a save and reload.
        .executableTarget(
            name: "fuzz-resume",
            dependencies: ["FuzzSupport", .product(name: "Model", package: "charrnn")]
        ),
        // Bytes as a text file: TextSource, strict and lossy, in small and large chunks, against
        // a whole-file decoding; then the grapheme and word tokenizers over the text.
        .executableTarget(
            name: "fuzz-text",
            dependencies: ["FuzzSupport", .product(name: "Tokenizer", package: "charrnn")]
        ),
    ]
)
