#if canImport(Glibc)
import Glibc
#endif
import ExecutionPatterns
import Foundation
import Synchronization
import SystemPackage
import Testing

/// EXEC-004 with several writers of one file (issue 10, point 2): every
/// writer sweeps stale temporaries before it writes, and no sweep may remove
/// a temporary whose writer is alive.
@Suite("EXEC-004 concurrent atomic writers")
struct AtomicFileConcurrencyTests {
    @Test("A sweep between the checked close and the rename does not remove the live temporary")
    func sweepAfterClose() throws {
        let dir = try TemporaryDirectory()
        let p = try dir.write("out.txt", "old")
        let swept = Mutex<[FilePath]>([])
        let options = AtomicFile.Options(stepHook: { step, _ in
            // Another writer's sweep, at the moment the old code had already dropped the lock.
            if step == .closedFile { swept.withLock { $0 += AtomicFile.removeStaleTemporaries(for: p) } }
            return .proceed
        })
        try AtomicFile.write("new", to: p, options: options)
        #expect(swept.withLock { $0 } == [], "a live temporary was swept")
        #expect(text(p) == "new")
        #expect(dir.names() == ["out.txt"])
    }

    @Test("8 threads x 400 atomic writes of one file: every write succeeds, the file is always one writer's whole content, no temporary is left",
          .timeLimit(.minutes(2)))
    func eightWriters() async throws {
        // The writers block their threads: they run on threads of their own, so
        // that this test does not hold the threads other (async) tests need.
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            Thread.detachNewThread {
                do { try Self.eightWritersBlocking(); done.resume() } catch { done.resume(throwing: error) }
            }
        }
    }

    static func eightWritersBlocking() throws {
        let dir = try TemporaryDirectory()
        let p = try dir.write("out.txt", "start")
        let threads = 8, writes = 400
        let failures = Mutex<[String]>([])
        let torn = Mutex<Int>(0)
        DispatchQueue.concurrentPerform(iterations: threads + 1) { t in
            if t == threads {
                // A reader: every read is one writer's whole content.
                for _ in 0..<2000 {
                    guard let b = contents(p) else { failures.withLock { $0.append("the file was missing during a read") }; continue }
                    if b != Array("start".utf8), !(b.count == 3000 && Set(b).count == 1) { torn.withLock { $0 += 1 } }
                }
                return
            }
            let bytes = [UInt8](repeating: UInt8(ascii: "a") + UInt8(t), count: 3000)
            for _ in 0..<writes {
                do {
                    try AtomicFile.write(bytes, to: p)
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        let failed = failures.withLock { $0 }
        #expect(failed.isEmpty, "\(failed.count) writes failed, the first: \(failed.prefix(3))")
        #expect(torn.withLock { $0 } == 0, "a reader saw a mixture")
        #expect(dir.names() == ["out.txt"], "temporaries left: \(dir.names())")
    }
}
