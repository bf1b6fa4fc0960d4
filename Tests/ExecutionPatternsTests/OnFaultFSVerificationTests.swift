#if canImport(Glibc)
import Glibc
#endif
import ExecutionPatterns
import FaultFSTestSupport
import Foundation
import SystemPackage
import Testing

/// PATTERN-002 on a real FaultFS mount: a device that reports success for
/// bytes it did not store. The writer's own word (no error) is the claim;
/// the verifier re-reads the file and judges by the bytes.
@Suite("PATTERN-002 ground-truth verification on a FaultFS mount", .serialized, .timeLimit(.minutes(1)))
struct OnFaultFSVerificationTests {
    static let old = OnFS.fill("O", 3000)
    static let new = OnFS.fill("N", 10_000)

    static func expectations(_ m: FaultMount) -> [FileExpectation] {
        [FileExpectation(FilePath(m.path("report.bin")), [.exactSize(new.count), .sha256(SHA256.hexDigest(new)), .noTemporaryFiles])]
    }

    static func setUp(_ backing: String) throws {
        try must(FS.writeFile(backing + "/report.bin", old), "write report.bin in the backing")
    }

    @Test("lost-write: the atomic write reports success, the verifier finds an empty file and says claimedSuccessButWrong")
    func lostWrite() async throws {
        let plan = """
            rules:
              - fault: lost-write
                path: "**"
            """
        let run = try await withAsyncFaultMount(plan: plan, setup: Self.setUp) { m async throws in
            let outcome = await GroundTruthVerifier().run(expecting: Self.expectations(m)) { () async throws -> String in
                try AtomicFile.write(Self.new, to: FilePath(m.path("report.bin")))
                return "written"
            }
            guard case .claimedSuccessButWrong(let claim, let failures) = outcome else {
                Issue.record("a lost write must not verify: \(outcome)")
                return
            }
            #expect(claim == "written")
            #expect(failures.map(\.check) == [.exactSize(Self.new.count), .sha256(SHA256.hexDigest(Self.new))], "\(failures)")
            // The temporary's bytes were dropped, and the empty temporary was published.
            #expect(failures.first?.found == "0 bytes", "\(failures)")
            #expect(try OnFS.events(m, fault: "lost-write").count >= 1, "the fault was offered")
            // Contrast: the same write and checks without the fault verify.
            try OnFS.clearRules(m)
            let fine = await GroundTruthVerifier().run(expecting: Self.expectations(m)) {
                try AtomicFile.write(Self.new, to: FilePath(m.path("report.bin")))
            }
            #expect(fine.isVerified, "\(fine)")
        }
        OnFS.expectBytes(run.backing["report.bin"], Self.new, "the backing after unmount")
    }

    @Test("torn-write: 10000 bytes reported written, 8192 stored; the verifier says claimedSuccessButWrong")
    func tornWrite() async throws {
        let plan = """
            rules:
              - fault: torn-write
                path: report.bin
                block: 4096
            """
        let run = try await withAsyncFaultMount(plan: plan, setup: Self.setUp) { m async throws in
            let outcome = await GroundTruthVerifier().run(expecting: Self.expectations(m)) { () async throws -> Int in
                // A tool that writes its output in place with one write() and trusts the count.
                let fd = try must(FS.open(m.path("report.bin"), O_WRONLY | O_TRUNC), "open report.bin")
                defer { _ = FS.close(fd) }
                return try must(FS.write(fd, Self.new), "write report.bin")
            }
            guard case .claimedSuccessButWrong(let reported, let failures) = outcome else {
                Issue.record("a torn write must not verify: \(outcome)")
                return
            }
            #expect(reported == Self.new.count, "the write() claimed every byte")
            #expect(failures.map(\.check) == [.exactSize(Self.new.count), .sha256(SHA256.hexDigest(Self.new))], "\(failures)")
            #expect(failures.first?.found == "8192 bytes", "\(failures)")
        }
        OnFS.expectBytes(run.backing["report.bin"], OnFS.fill("N", 8192), "the backing holds the whole blocks only")
    }

    @Test("lost-write of a same-size rewrite in place: size checks alone are fooled, the checksum the verifier computes is not")
    func lostRewriteInPlace() async throws {
        let plan = """
            rules:
              - fault: lost-write
                path: report.bin
            """
        let rewrite = OnFS.fill("R", Self.old.count)
        _ = try await withAsyncFaultMount(plan: plan, setup: Self.setUp) { m async throws in
            let path = FilePath(m.path("report.bin"))
            func rewriteInPlace() throws -> Int {
                let fd = try must(FS.open(m.path("report.bin"), O_WRONLY), "open report.bin")
                defer { _ = FS.close(fd) }
                return try must(FS.pwrite(fd, rewrite, at: 0), "rewrite report.bin")
            }
            let sizeOnly = await GroundTruthVerifier().run(expecting: [FileExpectation(path, [.exists, .exactSize(rewrite.count)])]) {
                try rewriteInPlace()
            }
            #expect(sizeOnly.isVerified, "the size did not change, so a size check passes: \(sizeOnly)")
            let withChecksum = await GroundTruthVerifier().run(expecting: [FileExpectation(path, [.exactSize(rewrite.count), .sha256(SHA256.hexDigest(rewrite))])]) {
                try rewriteInPlace()
            }
            guard case .claimedSuccessButWrong(let reported, let failures) = withChecksum else {
                Issue.record("the lost rewrite must not verify: \(withChecksum)")
                return
            }
            #expect(reported == rewrite.count)
            #expect(failures.map(\.check) == [.sha256(SHA256.hexDigest(rewrite))], "\(failures)")
            #expect(failures.first?.found == "SHA-256 \(SHA256.hexDigest(Self.old))", "the verifier saw the old bytes")
        }
    }

    @Test("A tool that exits 0 while its output write is lost: run(tool:) says claimedSuccessButWrong, with the tool's result")
    func toolSilentFailure() async throws {
        let plan = """
            rules:
              - fault: lost-write
                path: out/report.txt
            """
        _ = try await withAsyncFaultMount(plan: plan, setup: { b in
            try must(FS.mkdir(b + "/bin"), "mkdir bin")
            try must(FS.mkdir(b + "/out"), "mkdir out")
            try must(FS.writeFile(b + "/bin/report", "#!/bin/sh\nprintf 'all good\\n' > \"$1\"\necho done\n", mode: 0o755), "write bin/report")
        }) { m async throws in
            let out = FilePath(m.path("out/report.txt"))
            let outcome = await GroundTruthVerifier().run(tool: "report", arguments: [out.string], using: ToolGuard(searchPath: m.path("bin")),
                                                          timeout: .seconds(20), expecting: [FileExpectation(out, [.contentEquals(Array("all good\n".utf8))])])
            guard case .claimedSuccessButWrong(let result, let failures) = outcome else {
                Issue.record("a tool whose output was lost must not verify: \(outcome)")
                return
            }
            #expect(result.succeeded && result.standardOutput == "done\n", "the tool exited 0 and said done")
            #expect(failures.map(\.check) == [.contentEquals(Array("all good\n".utf8))], "\(failures)")
        }
    }
}
