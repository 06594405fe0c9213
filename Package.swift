// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "guatan",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "guatan", targets: ["guatan"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/yaslab/CSV.swift.git", from: "2.5.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        .target(
            name: "GuatanCore",
            // SHA-256 and HMAC for the verifiable draw's commitment and lots.
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // glibc's allocator controls (malloc.h), which Swift's Glibc module leaves out.
        .target(name: "CMemory"),
        // The stall codes' QR encoder, in its own module: no listed package makes QR codes.
        .target(
            name: "QRCode",
            swiftSettings: swiftSettings
        ),
        // The store protocols and the records they speak, the same for every backend.
        .target(
            name: "GuatanStoreInterface",
            dependencies: ["GuatanCore"],
            swiftSettings: swiftSettings
        ),
        // The stores' SQL, written once in the SQL both databases speak, over a connection
        // each backend provides (with the few places their dialects differ).
        .target(
            name: "GuatanSQL",
            dependencies: ["GuatanCore", "GuatanStoreInterface"],
            swiftSettings: swiftSettings
        ),
        // The embedded SQLite backend: GRDB, SQLite's schema and dialect, group commit.
        .target(
            name: "GuatanSQLite",
            dependencies: [
                "GuatanCore",
                "GuatanStoreInterface",
                "GuatanSQL",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's own C interface, for reading a row's columns where GRDB is the cursor.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The PostgreSQL backend (postgres-nio): its schema, dialect and connections.
        .target(
            name: "GuatanPostgres",
            dependencies: [
                "GuatanCore",
                "GuatanStoreInterface",
                "GuatanSQL",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The programme's workflows: load what a rule needs, let GuatanCore decide, write the
        // outcome and its audit entry in one store transaction, say what changed.
        .target(
            name: "GuatanServices",
            dependencies: [
                "GuatanCore",
                "GuatanStoreInterface",
                .product(name: "CSV", package: "CSV.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GuatanAPI",
            dependencies: [
                "GuatanCore",
                "GuatanStoreInterface",
                "GuatanServices",
                "QRCode",
                "CMemory",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                // HTTPS in the service itself: TLS 1.2+, HTTP/2 by ALPN, certificates reloaded on SIGHUP.
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                // Webhook deliveries to the city's platform and other receivers (issue 17).
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "guatan",
            dependencies: [
                "GuatanCore",
                "GuatanStoreInterface",
                "GuatanSQL",
                "GuatanSQLite",
                "GuatanPostgres",
                "GuatanServices",
                "GuatanAPI",
                "CMemory",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // What the tests share: a throwaway PostgreSQL server's databases (never in the service).
        .target(
            name: "GuatanTestSupport",
            dependencies: [
                "GuatanPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GuatanCoreTests",
            dependencies: ["GuatanCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "QRCodeTests",
            dependencies: ["QRCode"],
            swiftSettings: swiftSettings
        ),
        // The shared store suite: each test taking a StoreBackend runs on SQLite and PostgreSQL.
        .testTarget(
            name: "GuatanStoreTests",
            dependencies: [
                "GuatanCore", "GuatanStoreInterface", "GuatanSQL", "GuatanSQLite", "GuatanPostgres", "GuatanServices", "GuatanTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GuatanAPITests",
            dependencies: [
                "GuatanCore", "GuatanStoreInterface", "GuatanSQL", "GuatanSQLite", "GuatanPostgres", "GuatanServices", "GuatanAPI",
                "GuatanTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
