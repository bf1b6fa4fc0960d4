#if canImport(Glibc)
import Glibc
#endif
import ExecutionPatterns
import FaultFSTestSupport
import Foundation
import SystemPackage
import Testing

/// `AtomicFile.move` without replacing is a link and an unlink; when only the unlink fails, the move is published (issue 10, point 6).
@Suite("EXEC-004 a no-replace move whose unlink fails, on a FaultFS mount", .serialized, .timeLimit(.minutes(1)))
struct OnFaultFSNoReplaceMoveTests {
    @Test("The link succeeds and the unlink of the source fails: the error says the move is published and both names exist")
    func unlinkFailsAfterLink() async throws {
        let plan = """
            rules:
              - fault: errno
                errno: EBUSY
                ops: [unlink]
                path: d/src.txt
            """
        _ = try await withAsyncFaultMount(plan: plan, setup: OnFaultFSBatchRollbackTests.setUp) { m async throws in
            do throws(AtomicFileError) {
                try AtomicFile.move(from: FilePath(m.path("d/src.txt")), to: FilePath(m.path("d/new.txt")),
                                    options: AtomicFile.Options(replaceExisting: false))
                Issue.record("the move must report the failed unlink")
            } catch {
                #expect(error.published, "the destination exists: \(error)")
                #expect(error.underlyingErrno == .resourceBusy, "\(error)")
                #expect(error.description.contains("both names now exist"), "\(error)")
            }
            OnFS.expectBytes(OnFS.backing(m, "d/new.txt"), Array("SOURCE".utf8), "the destination")
            OnFS.expectBytes(OnFS.backing(m, "d/src.txt"), Array("SOURCE".utf8), "the source name, left over")
        }
    }
}
