// swift-tools-version: 6.0
import PackageDescription

/// MultiTaskKit: which tasks should be learned together — measured, chosen and acted on, natively.
let optimize: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

let package = Package(
    name: "MultiTaskKit",
    products: [
        .library(name: "Files", targets: ["Files"]),
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "NN", targets: ["NN"]),
        .library(name: "Optimizers", targets: ["Optimizers"]),
        .library(name: "Data", targets: ["Data"]),
        .library(name: "MultiTask", targets: ["MultiTask"]),
        .library(name: "Reports", targets: ["Reports"]),
        .executable(name: "mtk", targets: ["mtk"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "pkg-config"])]
        ),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "Files", swiftSettings: optimize),
        .target(name: "Tensors", dependencies: ["CBLAS"], swiftSettings: optimize),
        .target(name: "Data", dependencies: ["Tensors", "Files", "CZlib"], swiftSettings: optimize),
        .target(name: "NN", dependencies: ["Tensors", "Files", "Yams"], swiftSettings: optimize),
        .target(name: "Optimizers", dependencies: ["Tensors", "NN"], swiftSettings: optimize),
        .target(name: "MultiTask", dependencies: ["Tensors", "Files", "NN", "Optimizers", "Data", "Yams"], swiftSettings: optimize),
        .target(name: "Reports", dependencies: ["MultiTask", "Files"], swiftSettings: optimize),
        .executableTarget(
            name: "mtk",
            dependencies: ["Tensors", "Files", "NN", "Optimizers", "Data", "MultiTask", "Reports", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: optimize
        ),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors"]),
        .target(name: "TestSupport", dependencies: ["NN", "Tensors"], path: "Tests/TestSupport"),
        .testTarget(name: "FilesTests", dependencies: ["Files", "TestSupport"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Files", "Tensors", "TestSupport"]),
        .testTarget(name: "OptimizersTests", dependencies: ["Optimizers", "NN", "Tensors", "TestSupport"]),
        .testTarget(name: "DataTests", dependencies: ["Data", "Tensors", "CZlib", "TestSupport"]),
        .testTarget(name: "MultiTaskTests", dependencies: ["MultiTask", "Files", "Data", "NN", "Optimizers", "Tensors", "TestSupport"]),
        .testTarget(name: "mtkTests", dependencies: ["mtk", "TestSupport"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "MultiTask", "Files"]),
    ]
)
