#if canImport(Glibc)
import Glibc
#endif
import ExecutionPatterns
import Foundation
import SystemPackage
import Testing

@Suite("PATTERN-002 ground-truth verification")
struct GroundTruthTests {
    let verifier = GroundTruthVerifier()

    @Test("An action that claims success but wrote nothing is caught")
    func claimedButNotWritten() async throws {
        let dir = try TemporaryDirectory()
        let out = dir.file("report.json")
        let outcome = await verifier.run(expecting: [FileExpectation(out, [.exists, .minimumSize(2)])]) { "done" }
        guard case .claimedSuccessButWrong(let claim, let failures) = outcome else { Issue.record("\(outcome)"); return }
        #expect(claim == "done")
        #expect(failures.map(\.check) == [.exists, .minimumSize(2)])
        #expect(failures[0].description.contains("no file"))
    }

    @Test("A wrong checksum (a torn or corrupted write) is caught; the right one verifies with evidence")
    func checksum() async throws {
        let dir = try TemporaryDirectory()
        let out = dir.file("data.bin")
        let good = Array("the full payload".utf8)
        let expected = [FileExpectation(out, [.exactSize(good.count), .sha256(SHA256.hexDigest(good)), .modifiedSinceStart, .noTemporaryFiles])]
        let torn = await verifier.run(expecting: expected) {
            // Only a prefix reached the disk, as a torn write leaves it.
            try AtomicFile.write(Array(good.prefix(8)), to: out)
        }
        guard case .claimedSuccessButWrong(_, let failures) = torn else { Issue.record("\(torn)"); return }
        #expect(failures.map(\.check) == [.exactSize(good.count), .sha256(SHA256.hexDigest(good))])
        let fine = await verifier.run(expecting: expected) { try AtomicFile.write(good, to: out) }
        guard case .verified(_, let evidence) = fine else { Issue.record("\(fine)"); return }
        #expect(evidence == [FileEvidence(path: out, size: good.count, sha256: SHA256.hexDigest(good))])
    }

    @Test("A file not touched by the action fails 'modified since start', even with the right content")
    func staleFile() async throws {
        let dir = try TemporaryDirectory()
        let out = try dir.write("out.txt", "same")
        var times = [timespec(tv_sec: 1_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, out.string, &times, 0) == 0)
        let outcome = await verifier.run(expecting: [FileExpectation(out, [.contentEquals(Array("same".utf8)), .modifiedSinceStart])]) { true }
        guard case .claimedSuccessButWrong(_, let failures) = outcome else { Issue.record("\(outcome)"); return }
        #expect(failures.map(\.check) == [.modifiedSinceStart])
    }

    @Test("Format, leftover temporaries and absence are checked")
    func formatsAndLeftovers() async throws {
        let dir = try TemporaryDirectory()
        let out = try dir.write("cfg.json", #"{"a": 1,"#)
        try dir.write(".cfg.json.atomic-tmp.0123456789abcdef", "half")
        try dir.write("cfg.json.tmp", "half")
        let gone = dir.file("gone")
        let outcome = await verifier.run(expecting: [
            FileExpectation(out, [.parses(as: .json), .noTemporaryFiles]),
            FileExpectation(gone, [.absent]),
        ]) { 0 }
        guard case .claimedSuccessButWrong(_, let failures) = outcome else { Issue.record("\(outcome)"); return }
        #expect(failures.map(\.check) == [.noTemporaryFiles, .parses(as: .json)])
        #expect(failures[0].found.contains("atomic-tmp") && failures[0].found.contains("cfg.json.tmp"))
        #expect(failures[1].found.contains("truncated"))
    }

    @Test("An action that throws is 'failed', with the state of the checks")
    func failed() async throws {
        let dir = try TemporaryDirectory()
        let outcome = await verifier.run(expecting: [FileExpectation(dir.file("x"), [.exists])]) { () throws -> Int in
            throw Errno.noSpace
        }
        guard case .failed(let error, let failures) = outcome else { Issue.record("\(outcome)"); return }
        #expect(error as? Errno == .noSpace)
        #expect(failures.count == 1)
    }

    @Test("A tool that exits 0 without producing its file is caught; one that does is verified")
    func tools() async throws {
        let dir = try TemporaryDirectory()
        let out = dir.file("patched.py")
        let tools = ToolGuard()
        let expectation = [FileExpectation(out, [.exists, .minimumSize(5)])]
        let liar = await verifier.run(tool: "sh", arguments: ["-c", "echo 'patch applied'"], using: tools,
                                      timeout: .seconds(10), workingDirectory: dir.path, expecting: expectation)
        guard case .claimedSuccessButWrong(let run, _) = liar else { Issue.record("\(liar)"); return }
        #expect(run.standardOutput == "patch applied\n")
        let honest = await verifier.run(tool: "sh", arguments: ["-c", "printf 'print(1)' > patched.py"], using: tools,
                                        timeout: .seconds(10), workingDirectory: dir.path, expecting: expectation)
        #expect(honest.isVerified)
        let failing = await verifier.run(tool: "sh", arguments: ["-c", "exit 2"], using: tools,
                                         timeout: .seconds(10), workingDirectory: dir.path, expecting: expectation)
        guard case .failed = failing else { Issue.record("\(failing)"); return }
    }
}
