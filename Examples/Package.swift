// swift-tools-version:6.1
// Small programs that use charrnn as a library (`import CharRNN`). From the repository's root:
//   swift run --package-path Examples poem [SEED]
//   swift run --package-path Examples names Schmidt 王伟
//   swift run --package-path Examples train FILE [SECONDS]
import PackageDescription

let package = Package(
    name: "charrnn-examples",
    dependencies: [.package(name: "charrnn", path: "..")],
    targets: ["poem", "names", "train"].map { name in
        .executableTarget(name: name, dependencies: [.product(name: "CharRNN", package: "charrnn")])
    }
)
