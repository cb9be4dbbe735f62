// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "charrnn",
    products: [
        .executable(name: "charrnn", targets: ["charrnn"]),
        .library(name: "Tokenizer", targets: ["Tokenizer"]),
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
        // The command-line tool: the only target that imports ArgumentParser or prints.
        .executableTarget(
            name: "charrnn",
            dependencies: [
                "Tokenizer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Helpers for the test targets only (not a product).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer", "CICU", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["charrnn", "TestSupport"]),
    ]
)
