// swift-tools-version: 6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "platform",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "platform", targets: ["Server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk.git", from: "0.12.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CArgon2",
            path: "Sources/Auth/CArgon2",
            pkgConfig: "libargon2",
            providers: [.apt(["libargon2-dev"])]
        ),
        // The platform layer: one job per target, lower ones first (see docs/architecture.md).
        .target(
            name: "PlatformSupport",
            dependencies: [
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Platform/Support",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PlatformDatabase",
            dependencies: [
                "PlatformSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/Platform/Database",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PlatformHTTP",
            dependencies: [
                "PlatformSupport", "PlatformDatabase",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Sources/Platform/HTTP",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TaskEngine",
            dependencies: ["PlatformSupport", "PlatformDatabase", "PlatformHTTP"],
            path: "Sources/Platform/TaskEngine",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PlatformServices",
            dependencies: [
                "PlatformSupport", "PlatformDatabase", "TaskEngine",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
            ],
            path: "Sources/Platform/Services",
            swiftSettings: swiftSettings
        ),
        // The artifact store: what tasks produced, recorded by any module (docs/media.md).
        .target(
            name: "PlatformArtifacts",
            dependencies: ["PlatformSupport", "PlatformDatabase"],
            path: "Sources/Platform/Artifacts",
            swiftSettings: swiftSettings
        ),
        // The workflow engine: graph model, validation, executor, node-kind registry; no HTTP routes.
        .target(
            name: "FlowEngine",
            dependencies: [
                "PlatformSupport", "PlatformServices",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            path: "Sources/Platform/FlowEngine",
            resources: [.copy("Resources/flow_runtime.py")],
            swiftSettings: swiftSettings
        ),
        // Model providers (Ollama, OpenAI-compatible, local) and the MCP client.
        .target(
            name: "Providers",
            dependencies: [
                "PlatformSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "MCP", package: "swift-sdk"),
            ],
            path: "Sources/Platform/Providers",
            swiftSettings: swiftSettings
        ),
        // Metrics (Prometheus registry, per-minute usage accounting) and the request middleware that feeds them.
        .target(
            name: "PlatformTelemetry",
            dependencies: [
                "PlatformSupport", "PlatformDatabase", "PlatformHTTP", "TaskEngine", "Providers",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Sources/Platform/Telemetry",
            swiftSettings: swiftSettings
        ),
        // OpenCV (C++) for the face and person pipelines, through a small C shim; pkg-config opencv4.
        .systemLibrary(
            name: "COpenCV",
            path: "Sources/Platform/MediaToolkit/COpenCV",
            pkgConfig: "opencv4",
            providers: [.apt(["libopencv-dev"])]
        ),
        .target(
            name: "CVisionShim",
            dependencies: ["COpenCV"],
            path: "Sources/Platform/MediaToolkit/CVisionShim",
            cxxSettings: [.unsafeFlags(["-std=c++17"])]
        ),
        // Media analysis pipelines on ffmpeg/ffprobe (VideoAnnotator-compatible outputs); no HTTP.
        .target(
            name: "MediaToolkit",
            dependencies: ["PlatformSupport", "CVisionShim"],
            path: "Sources/Platform/MediaToolkit",
            exclude: ["CVisionShim", "COpenCV"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Auth",
            dependencies: [
                "PlatformSupport", "PlatformDatabase", "PlatformHTTP", "PlatformServices",
                "CArgon2",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Sources/Auth",
            exclude: ["CArgon2"],
            resources: [.copy("Resources/common-passwords.txt")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Tenancy",
            dependencies: ["PlatformSupport", "PlatformDatabase", "PlatformHTTP"],
            path: "Sources/Tenancy",
            swiftSettings: swiftSettings
        ),
        // Feature modules: one target each, meeting only through the platform's registries.
        .target(
            name: "Tasks",
            dependencies: ["PlatformSupport", "PlatformDatabase", "PlatformHTTP", "TaskEngine"],
            path: "Sources/Modules/Tasks",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Webhooks",
            dependencies: [
                "PlatformSupport", "PlatformDatabase", "PlatformHTTP", "TaskEngine", "PlatformServices",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Sources/Modules/Webhooks",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Files",
            dependencies: ["PlatformSupport", "PlatformDatabase", "PlatformHTTP", "TaskEngine", "PlatformServices"],
            path: "Sources/Modules/Files",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Annotation",
            dependencies: ["PlatformSupport", "PlatformDatabase", "PlatformHTTP", "TaskEngine", "PlatformServices", "PlatformArtifacts", "MediaToolkit"],
            path: "Sources/Modules/Annotation",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Content",
            dependencies: ["PlatformSupport", "PlatformDatabase", "PlatformHTTP"],
            path: "Sources/Modules/Content",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Settings",
            dependencies: ["PlatformSupport", "PlatformDatabase", "PlatformHTTP", "TaskEngine", "PlatformServices", "Providers"],
            path: "Sources/Modules/Settings",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Chat",
            dependencies: [
                "PlatformSupport", "PlatformDatabase", "PlatformHTTP", "PlatformServices", "Providers",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Sources/Modules/Chat",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Workflows",
            dependencies: [
                "PlatformSupport", "PlatformDatabase", "PlatformHTTP", "TaskEngine", "PlatformServices", "FlowEngine", "Providers",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/Modules/Workflows",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Media",
            dependencies: [
                "PlatformSupport", "PlatformDatabase", "PlatformHTTP", "TaskEngine", "PlatformServices", "PlatformArtifacts",
            ],
            path: "Sources/Modules/Media",
            swiftSettings: swiftSettings
        ),
        .target(
            // Not `Metrics`: swift-metrics has a target of that name.
            name: "TenantMetrics",
            dependencies: ["PlatformSupport", "PlatformDatabase", "PlatformHTTP", "TaskEngine", "PlatformServices", "PlatformTelemetry", "Providers"],
            path: "Sources/Modules/Metrics",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Production",
            dependencies: ["PlatformSupport", "PlatformDatabase", "PlatformHTTP", "TaskEngine", "PlatformServices"],
            path: "Sources/Modules/Production",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Analysis",
            dependencies: [
                "PlatformSupport", "PlatformDatabase", "PlatformHTTP", "TaskEngine", "PlatformServices", "PlatformArtifacts", "MediaToolkit", "Providers",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
            ],
            path: "Sources/Modules/Analysis",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Operators",
            dependencies: [
                "PlatformSupport", "PlatformDatabase", "PlatformHTTP", "PlatformServices", "PlatformArtifacts", "FlowEngine", "Providers", "MediaToolkit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            path: "Sources/Modules/Operators",
            resources: [.copy("Resources/templates.json")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Social",
            dependencies: [
                "PlatformSupport", "PlatformDatabase", "PlatformHTTP", "TaskEngine", "PlatformServices", "Providers",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            path: "Sources/Modules/Social",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "Server",
            dependencies: [
                "PlatformSupport", "PlatformDatabase", "PlatformHTTP", "TaskEngine", "PlatformServices", "Providers",
                "Auth", "Tenancy", "Tasks", "Webhooks", "Files", "Content", "Settings", "Workflows", "FlowEngine", "Chat",
                "PlatformArtifacts", "Media", "Annotation", "PlatformTelemetry", "TenantMetrics", "Production", "Analysis", "Operators", "Social",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/Server",
            swiftSettings: swiftSettings
        ),
        // The driver's floor for the HTTP benchmark (benchmarks/http-rls.sh); not part of the product.
        .executableTarget(
            name: "BareHandler",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "benchmarks/BareHandler",
            swiftSettings: swiftSettings
        ),
        // The media toolkit benchmark (benchmarks/media.sh); not part of the product.
        .executableTarget(
            name: "MediaBench",
            dependencies: ["MediaToolkit"],
            path: "benchmarks/MediaBench",
            swiftSettings: swiftSettings
        ),
        // The task-engine benchmark (benchmarks/tasks.sh); not part of the product.
        .executableTarget(
            name: "TaskBench",
            dependencies: ["PlatformSupport", "PlatformDatabase", "TaskEngine", .product(name: "AsyncHTTPClient", package: "async-http-client")],
            path: "benchmarks/TaskBench",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PlatformTesting",
            dependencies: [
                "PlatformSupport", "PlatformDatabase",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "Tests/Support",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PlatformTests",
            dependencies: ["PlatformSupport", "PlatformDatabase", "PlatformHTTP", "TaskEngine", "PlatformServices", "PlatformTesting"], exclude: ["Fixtures"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "AuthTests",
            dependencies: [
                "Auth", "PlatformTesting",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(name: "TenancyTests", dependencies: ["Tenancy", "PlatformTesting"], swiftSettings: swiftSettings),
        .testTarget(name: "FlowEngineTests", dependencies: ["FlowEngine"], swiftSettings: swiftSettings),
        .testTarget(name: "MediaToolkitTests", dependencies: ["MediaToolkit"], exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ProvidersTests", dependencies: ["Providers", "PlatformTesting"], exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ServerTests",
            dependencies: ["Server", "Providers", "TaskEngine", "PlatformArtifacts", "Operators", "PlatformTesting", .product(name: "Crypto", package: "swift-crypto")],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings),
    ]
)
