// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "cryoledger",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cryoledger", targets: ["cryoledger"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-openapi-generator.git", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird.git", from: "2.1.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.1.4"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
    ],
    targets: [
        // Calendar-day arithmetic shared by the domain, the optimizer and the store: no dependencies.
        .target(name: "CivilCalendar", swiftSettings: swiftSettings),

        // Domain rules: plain Swift, no I/O.
        .target(name: "CryoDomain", dependencies: ["CivilCalendar"], swiftSettings: swiftSettings),

        // The allocation optimizer (FORMAT.md v1) on COIN-OR CBC; no database.
        .systemLibrary(
            name: "CCbc",
            pkgConfig: "cbc",
            providers: [.apt(["coinor-libcbc-dev"])]
        ),
        .target(name: "AllocationOptimizer", dependencies: ["CCbc", "CivilCalendar"], swiftSettings: swiftSettings),

        // The supply forecast (docs/supply.md): Monte Carlo of demand, dose paths and stock, and the plan search; no I/O.
        .target(name: "CryoSupply", dependencies: ["CryoDomain", "AllocationOptimizer", "CivilCalendar"], swiftSettings: swiftSettings),
        // Benchmarks/supply: the model on the demo scaled to 20 sites and 6 cohorts.
        .executableTarget(name: "supply-bench", dependencies: ["CryoSupply"], path: "Benchmarks/supply/Sources", swiftSettings: swiftSettings),

        // Benchmarks/audit: the bare Hummingbird + PostgresNIO server the proof timings are compared with.
        .executableTarget(
            name: "tlog-reference",
            dependencies: [
                "CryoStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Benchmarks/audit/Sources/tlog-reference", swiftSettings: swiftSettings),

        // Persistence: PostgresNIO with hand-written SQL, migrations, the embedded cluster.
        .target(
            name: "CryoStore",
            dependencies: [
                "CryoDomain", "AllocationOptimizer", "CivilCalendar", "CryoSupply",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),

        // Reports an auditor files: PDF through libharu (Debian libhpdf-dev).
        .systemLibrary(name: "CHpdf", providers: [.apt(["libhpdf-dev"])]),
        // Barcode symbols (Code 128, Data Matrix) for vial labels: zint (Debian libzint-dev).
        .systemLibrary(name: "CZint", providers: [.apt(["libzint-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CryoReports", dependencies: ["CryoStore", "CHpdf", "CZint"], swiftSettings: swiftSettings),

        // Code generated from Sources/CryoAPIGenerated/openapi.yaml, the API contract.
        .target(
            name: "CryoAPIGenerated",
            dependencies: [.product(name: "OpenAPIRuntime", package: "swift-openapi-runtime")],
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),

        // The HTTP API: one APIProtocol implementation, auth, problem+json errors.
        .target(
            name: "CryoAPI",
            dependencies: [
                "CryoDomain", "CryoStore", "CryoSupply", "CryoReports", "CryoAPIGenerated", "CryoConsole",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
            ],
            resources: [.copy("openapi.yaml")],
            swiftSettings: swiftSettings
        ),

        // The web console: server-rendered pages (mustache templates) over the same Store operations as the API.
        .target(
            name: "CryoConsole",
            dependencies: [
                "CryoDomain", "CryoStore", "CryoSupply", "CryoReports", "CZlib",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "MultipartKit", package: "multipart-kit"),
            ],
            resources: [.copy("Templates"), .copy("Assets")],
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "cryoledger",
            dependencies: [
                "CryoDomain", "CryoStore", "CryoReports", "CryoAPI", "CryoConsole", "AllocationOptimizer", "CryoSupply",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        .testTarget(name: "CryoDomainTests", dependencies: ["CryoDomain"], swiftSettings: swiftSettings),
        .testTarget(name: "CryoSupplyTests", dependencies: ["CryoSupply"], swiftSettings: swiftSettings),
        .testTarget(name: "AllocationOptimizerTests", dependencies: ["AllocationOptimizer"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CryoIntegrationTests",
            dependencies: [
                "CryoDomain", "CryoStore", "CryoReports", "CryoAPI", "CryoAPIGenerated",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
