// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Postgate",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "postgate", targets: ["postgate"]),
        .library(name: "Postgres", targets: ["Postgres"]),
        .library(name: "PostingPolicy", targets: ["PostingPolicy"]),
        .library(name: "Postgate", targets: ["Postgate"]),
    ],
    // Exact versions: Package.resolved stays out of the repository.
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", exact: "1.0.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(
            name: "Postgres",
            dependencies: [
                "CLibPQ", .product(name: "Crypto", package: "swift-crypto"), .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
        .target(name: "PostingPolicy"),
        .target(name: "Postgate", dependencies: ["Postgres", "PostingPolicy", .product(name: "Crypto", package: "swift-crypto")]),
        .executableTarget(
            name: "postgate",
            dependencies: [
                "Postgate",
                "Postgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "TestSupport", dependencies: ["Postgres"], path: "Tests/Support"),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"]),
        .testTarget(name: "PostingPolicyTests", dependencies: ["PostingPolicy"]),
        .testTarget(name: "PostgateTests", dependencies: ["Postgate", "Postgres", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
