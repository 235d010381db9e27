// swift-tools-version:6.0
import PackageDescription

/// A C library from the system, found through pkg-config; `make deps` installs the Debian package.
func systemLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(name: name, pkgConfig: pkgConfig, providers: [.apt([apt])])
}

let package = Package(
    name: "mashup",
    products: [
        .executable(name: "mashup", targets: ["Host"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        systemLibrary("CLua", pkgConfig: "lua5.4", apt: "liblua5.4-dev"),
        systemLibrary("CSndFile", pkgConfig: "sndfile", apt: "libsndfile1-dev"),
        systemLibrary("CFFTW3f", pkgConfig: "fftw3f", apt: "libfftw3-dev"),
        systemLibrary("COpenBLAS", pkgConfig: "openblas", apt: "libopenblas-dev"),
        systemLibrary("CSoxr", pkgConfig: "soxr", apt: "libsoxr-dev"),
        systemLibrary("CCairo", pkgConfig: "cairo", apt: "libcairo2-dev"),
        systemLibrary("CEdit", pkgConfig: "libedit", apt: "libedit-dev"),
        // Optional: without Open MPI the shim's stubs build and mashup runs as one process.
        systemLibrary("CMPI", pkgConfig: "ompi", apt: "libopenmpi-dev"),
        .target(name: "CLuaBridge", dependencies: ["CLua"]),
        // Optimised in debug builds too: the tests run the mel step thousands of times.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"])]),
        // -Ounchecked drops bounds and overflow checks: measured 2026-12-07, plain -O makes a
        // training mashup 20% slower (19 -> 24 ms; the log-mel and CNN step are unchanged). Sizes
        // from files and arguments are checked before they reach Native's loops (CheckedSize,
        // checkTensorSize), and `make test` fuzzes the release build. Host, where arguments
        // arrive, keeps every check.
        .target(
            name: "Native",
            dependencies: ["CSndFile", "CFFTW3f", "COpenBLAS", "CSoxr", "CCairo", "CKernels", "CMPI"],
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
        ),
        .executableTarget(
            name: "Host",
            dependencies: [
                "Native", "CLua", "CLuaBridge", "CEdit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "MashupBench",
            dependencies: ["Native"],
            path: "Benchmarks/MashupBench",
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
        ),
        .testTarget(name: "NativeTests", dependencies: ["Native", "CKernels"]),
        .testTarget(name: "HostTests", dependencies: ["Host", "Native"]),
    ]
)
