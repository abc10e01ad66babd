// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Postgate",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "postgate", targets: ["PostgateCLI"]),
        .library(name: "Postgres", targets: ["Postgres"]),
        .library(name: "PostgresServer", targets: ["PostgresServer"]),
        .library(name: "PostingPolicy", targets: ["PostingPolicy"]),
        .library(name: "Postgate", targets: ["Postgate"]),
    ],
    // Exact versions: Package.resolved stays out of the repository.
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", exact: "1.0.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-openapi-generator", exact: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime", exact: "1.13.4"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird", exact: "2.1.0"),
        .package(url: "https://github.com/apple/swift-http-types", exact: "1.8.0"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", exact: "2.1.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", exact: "0.9.20"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // The libpq client: connections, queries and coding, COPY, pipeline, pool.
        .target(name: "Postgres", dependencies: ["CLibPQ", .product(name: "Logging", package: "swift-log")]),
        // A private PostgreSQL server for development and tests, and the migration runner.
        .target(
            name: "PostgresServer",
            dependencies: [
                "Postgres", .product(name: "Crypto", package: "swift-crypto"), .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "PostingPolicy"),
        .target(
            name: "Postgate",
            dependencies: [
                "Postgres", "PostingPolicy", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "PostgateBench",
            dependencies: [
                "Postgate", "Postgres", "PostgresServer", "PostingPolicy", .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // The HTTP service: openapi.yaml is the contract; the generator makes its types and protocol.
        .target(
            name: "PostgateHTTP",
            dependencies: [
                "Postgate", "Postgres", "PostingPolicy",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator"), "SpecificationTablePlugin"]
        ),
        // openapi.yaml → the request checks' table, at build time.
        .executableTarget(name: "SpecificationTableGenerator", dependencies: [.product(name: "Yams", package: "Yams")]),
        .plugin(name: "SpecificationTablePlugin", capability: .buildTool(), dependencies: ["SpecificationTableGenerator"]),
        // The `postgate` command line.
        .executableTarget(
            name: "PostgateCLI",
            dependencies: [
                "Postgate",
                "PostgateBench",
                "PostgateHTTP",
                "Postgres",
                "PostgresServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "TestSupport", dependencies: ["Postgres", "PostgresServer"], path: "Tests/Support"),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "PostgresServer", "PostgateBench", "TestSupport"]),
        .testTarget(name: "PostingPolicyTests", dependencies: ["PostingPolicy"]),
        .testTarget(name: "PostgateTests", dependencies: ["Postgate", "PostgateBench", "Postgres", "PostgresServer", "TestSupport"]),
        .testTarget(
            name: "PostgateHTTPTests",
            dependencies: [
                "PostgateHTTP", "Postgate", "Postgres", "PostgresServer", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
