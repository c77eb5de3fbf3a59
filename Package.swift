// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "cltrain",
    products: [
        .executable(name: "cltrain", targets: ["cltrain"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // MARK: C bridges
        // OpenCL, OpenBLAS (--cpu), libpng (PNG images) and libturbojpeg (JPEG images) are loaded with dlopen at run time, so the binary starts
        // where none is installed and says what to install when a command needs one. zlib is linked: every
        // system has it.
        .target(name: "COpenCL", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "CSystemLibrary", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "CBLAS", dependencies: ["CSystemLibrary"]),
        .target(name: "CPNG", dependencies: ["CSystemLibrary"]),
        .target(name: "CJPEG", dependencies: ["CSystemLibrary"]),
        // MPI (data-parallel training under mpirun) is loaded at run time too; the shim hides its two ABIs.
        .target(name: "CMPI", linkerSettings: [.linkedLibrary("dl")]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),

        // MARK: OpenCL layer: the only Swift code that calls cl* functions
        .target(name: "CLKit", dependencies: ["COpenCL"]),

        // MARK: Model, data, kernels, backends, training loop
        .target(
            name: "CLTrain",
            dependencies: ["CLKit", "CBLAS", "CZlib", "CPNG", "CJPEG", "CMPI"],
            plugins: ["EmbedKernels"]
        ),

        // MARK: Command line
        .executableTarget(
            name: "cltrain",
            dependencies: [
                "CLTrain",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: Build tools: Kernels/*.cl are embedded into the binary at build time
        .executableTarget(name: "EmbedKernelsTool"),
        .plugin(name: "EmbedKernels", capability: .buildTool(), dependencies: ["EmbedKernelsTool"]),

        // MARK: Tests
        // What tests of both test targets build on: PNG and JPEG writers, a local HTTP server
        .target(name: "TestFixtures", dependencies: ["CJPEG", "CZlib"], path: "Tests/TestFixtures"),
        .testTarget(name: "CLKitTests", dependencies: ["CLKit"]),
        .testTarget(name: "CLTrainTests", dependencies: ["CLTrain", "TestFixtures"]),
        .testTarget(name: "cltrainTests", dependencies: ["cltrain", "TestFixtures"]),
    ],
    swiftLanguageModes: [.v5]
)
