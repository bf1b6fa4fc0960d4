// swift-tools-version: 6.1
import PackageDescription

// Every target is built in the Swift 6 language mode, so strict concurrency
// checking is on everywhere; the FUSE callbacks run on libfuse's own threads
// and must not touch unchecked shared state.
let package = Package(
    name: "faultbench",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "faultbench", targets: ["faultbench"]),
        .library(name: "ExecutionPatterns", targets: ["ExecutionPatterns"]),
        .library(name: "FaultEngine", targets: ["FaultEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        // libfuse3, found through pkg-config; the shim header re-exports what
        // Swift cannot import (macros, compound literals, GNU-only constants).
        .systemLibrary(
            name: "CFuse",
            path: "Sources/CFuse",
            pkgConfig: "fuse3",
            providers: [.apt(["libfuse3-dev"])]
        ),
        // The one chokepoint every system call goes through: EINTR retried,
        // errno returned as a typed value.
        .target(
            name: "SystemCalls",
            dependencies: [.product(name: "SystemPackage", package: "swift-system")]
        ),
        // Time and randomness as values a caller passes in: the one seeded
        // generator (SplitMix64) and the one system and manual clock. The
        // engine, the patterns, the statistics and the executor contract all
        // use it, so a file importing several of them sees each name once; it
        // depends on nothing, so none of them gains a dependency but this.
        .target(name: "Determinism"),
        // Pure Swift: rules, triggers, seeded randomness, trace, durability
        // bookkeeping. No FUSE and no I/O, so it is tested with a fake clock.
        .target(
            name: "FaultEngine",
            dependencies: ["Determinism", .product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "FaultFS",
            dependencies: [
                "CFuse", "SystemCalls", "FaultEngine",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .target(
            name: "ExecutionPatterns",
            dependencies: [
                "Determinism", "SystemCalls",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // What an executor receives and answers: the task JSON, the claim,
        // the environment. Built-in and external executors share it, so it
        // depends on nothing but Determinism, whose generator makes the
        // seeded bytes both sides must agree on.
        .target(name: "ExecutorContract", dependencies: ["Determinism"]),
        // The results document as Codable values with a schema version: what
        // a run writes and everything after it (figures, reports) reads.
        .target(name: "Results", dependencies: ["ExecutorContract"]),
        // Pure statistics over a results document: rates, intervals, tests.
        .target(name: "Figures", dependencies: ["Results", "Determinism"]),
        // The CI gate: a result judged against a baseline, and shards merged;
        // pure functions over results documents.
        .target(name: "Gate", dependencies: ["Results", "Figures", "ExecutorContract"]),
        // The reports of a run (Markdown, HTML, JUnit, JSON): one format one
        // type, each reading only the results document (and a baseline's).
        .target(
            name: "Reports",
            dependencies: ["Results", "Figures", "ExecutorContract", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // Scenarios, the trial runner, the oracle; it drives `faultbench
        // mount` as a child process through its control socket.
        .target(
            name: "Harness",
            dependencies: [
                "FaultFS", "FaultEngine", "SystemCalls", "ExecutorContract", "Results", "Figures", "ExecutionPatterns", "Determinism",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The built-in executors: one binary, `off` or `on` by its first
        // argument; it starts in milliseconds because it links no FUSE and
        // links the Swift runtime and Foundation statically (measured here:
        // a Foundation hello-world starts in about 4 ms static, 11 ms
        // dynamic; the harness spawns this binary for every trial).
        .executableTarget(
            name: "faultbench-executor",
            dependencies: [
                "ExecutorContract", "ExecutionPatterns", "SystemCalls",
                .product(name: "Yams", package: "Yams"),
            ],
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-Xlinker", "--start-group", "-lFoundation", "-lCoreFoundation", "-l_FoundationICU", "-l_FoundationCShims", "-l_FoundationCollections", "-lFoundationEssentials", "-lFoundationInternationalization", "-Xlinker", "--end-group"])]
        ),
        .executableTarget(
            name: "faultbench",
            dependencies: [
                "Harness", "FaultFS", "FaultEngine", "Results", "Figures", "Gate", "Reports", "ExecutionPatterns", "SystemCalls",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Shared helpers for tests that mount: temporary directories, starting
        // the built binary, waiting for the mount, always unmounting.
        .target(
            name: "FaultFSTestSupport",
            dependencies: ["SystemCalls", "FaultFS"],
            path: "Tests/FaultFSTestSupport"
        ),
        // A child process for the pattern tests on a mount: it runs one
        // pattern so the fault engine can kill it mid-write.
        .executableTarget(
            name: "pattern-probe",
            dependencies: ["ExecutionPatterns"],
            path: "Tests/PatternProbe"
        ),
        // A malloc counter: an executable that links it counts its thread's
        // allocations, because the executable's malloc takes the place of
        // libc's for the whole process. Only the probe below links it.
        .target(name: "CMallocCounter", path: "Tests/CMallocCounter"),
        // A child process that counts the fault engine's allocations per
        // call, so the test checking "a rule check allocates nothing" runs
        // with the counter and the test process runs without it.
        .executableTarget(
            name: "engine-alloc-probe",
            dependencies: ["FaultEngine", "CMallocCounter"],
            path: "Tests/EngineAllocProbe"
        ),
        // The generator's pinned stream and the clocks in both their uses.
        .testTarget(name: "DeterminismTests", dependencies: ["Determinism"]),
        .testTarget(name: "FaultEngineTests", dependencies: ["FaultEngine"]),
        // Runs engine-alloc-probe as a child and reads its counts; the
        // counter stays out of the test process.
        .testTarget(name: "FaultEngineAllocationTests", dependencies: ["FaultFSTestSupport"]),
        .testTarget(name: "FiguresTests", dependencies: ["Figures", "Results", "Determinism"]),
        .testTarget(name: "GateTests", dependencies: ["Gate", "Figures", "Results", "ExecutorContract", "Harness", "FaultFSTestSupport", "Determinism"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Figures", "Results", "ExecutorContract", "FaultFSTestSupport"]),
        // Also the file that imports the engine and the patterns together, to
        // prove their clock and generator names no longer clash.
        .testTarget(name: "HarnessTests", dependencies: ["Harness", "Results", "ExecutorContract", "FaultFSTestSupport", "SystemCalls", "FaultEngine", "ExecutionPatterns", "Determinism", .product(name: "Yams", package: "Yams"), .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "FaultFSTests", dependencies: ["FaultFS", "FaultFSTestSupport", "SystemCalls", "FaultEngine", "Determinism", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "ExecutionPatternsTests", dependencies: ["ExecutionPatterns", "FaultFSTestSupport"]),
    ]
)
