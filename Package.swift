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
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(name: "Postgres", dependencies: ["CLibPQ"]),
        .target(name: "PostingPolicy"),
        .target(name: "Postgate", dependencies: ["Postgres", "PostingPolicy"]),
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
