#if canImport(Glibc)
import Glibc
#endif
import ExecutionPatterns
import FaultFSTestSupport
import Foundation
import SystemPackage
import Testing

/// EXEC-001 and PATTERN-001 on a real FaultFS mount: reads that come back
/// damaged, short or slow.
@Suite("EXEC-001 type-safe reads and PATTERN-001 budgets on a FaultFS mount", .serialized, .timeLimit(.minutes(1)))
struct OnFaultFSTypeSafeTests {
    /// A JSON document of a few KiB, so reads have something to damage.
    static let document: [UInt8] = {
        let items = (0..<200).map { "{\"id\": \($0), \"name\": \"item-\($0)\"}" }.joined(separator: ", ")
        return Array("{\"items\": [\(items)]}\n".utf8)
    }()

    static func setUp(_ backing: String) throws {
        try must(FS.writeFile(backing + "/data.json", document), "write data.json in the backing")
    }

    @Test("corrupt-read (16 zeroed bytes): load returns a typed content error naming the file, never a value; the backing is intact")
    func corruptRead() async throws {
        let plan = """
            rules:
              - fault: corrupt-read
                path: data.json
                mode: zero
                bytes: 16
            """
        let run = try await withAsyncFaultMount(plan: plan, setup: Self.setUp) { m async throws in
            let path = FilePath(m.path("data.json"))
            let result = FileHandlerRegistry().load(path)
            guard case .failure(let error) = result else {
                Issue.record("damaged bytes must not load: \(result)")
                return
            }
            #expect(error.path == path && error.format == .json)
            switch error.kind {
            case .invalidEncoding, .syntax, .truncated: break
            default: Issue.record("expected a content error, not \(error.kind)")
            }
            #expect(error.line != nil, "the error has a position: \(error)")
            #expect(error.description.contains("data.json"), "\(error)")
            #expect(try OnFS.events(m, fault: "corrupt-read").count >= 1, "the fault was offered")
            try OnFS.clearRules(m)
            guard case .success(.json) = FileHandlerRegistry().load(path) else {
                Issue.record("with the fault cleared the file loads")
                return
            }
        }
        OnFS.expectBytes(run.backing["data.json"], Self.document, "the backing after unmount")
    }

    @Test("short-read (at most 100 bytes a call): load loops to end of file and gets the whole document; one read() would not")
    func shortRead() async throws {
        let plan = """
            rules:
              - fault: short-read
                path: data.json
                at-most: 100
            """
        _ = try await withAsyncFaultMount(plan: plan, setup: Self.setUp) { m async throws in
            let result = FileHandlerRegistry().load(FilePath(m.path("data.json")))
            guard case .success(.json(let value)) = result else {
                Issue.record("a short read is retried to end of file: \(result)")
                return
            }
            guard case .array(let items)? = value["items"] else {
                Issue.record("unexpected document shape: \(value)")
                return
            }
            #expect(items.count == 200)
            #expect(try OnFS.events(m, fault: "short-read").count > 1, "the fault was offered on many reads")
            // Contrast: a single read() gets a prefix, which the strict parser refuses.
            let fd = try must(FS.open(m.path("data.json"), O_RDONLY), "open data.json")
            defer { _ = FS.close(fd) }
            let prefix = try must(FS.pread(fd, count: Self.document.count, at: 0), "read data.json")
            #expect(prefix.count <= 100 && prefix.count < Self.document.count)
            guard case .failure(let e) = FileHandlerRegistry().validate(prefix, as: .json, path: FilePath(m.path("data.json"))), case .truncated = e.kind else {
                Issue.record("a prefix of the document must be refused as truncated")
                return
            }
        }
    }

    @Test("delay (150 ms per read) with a 400 ms budget: the load stops with deadlineExceeded, overrunning by at most one read")
    func delayWithinBudget() async throws {
        let delay = 0.15, budgetSeconds = 0.4
        let chunk = 64 << 10
        let plan = """
            rules:
              - fault: delay
                path: big.txt
                ops: [read]
                ms: \(Int(delay * 1000))
            """
        // 32 reads of 64 KiB: 4.8 s unbudgeted.
        let big = OnFS.fill("t", 32 * chunk)
        _ = try await withAsyncFaultMount(plan: plan, setup: { b in try must(FS.writeFile(b + "/big.txt", big), "write big.txt") }) { m async throws in
            let budget = PlanningBudget(BudgetLimits(maxIterations: 10, maxWallTime: .milliseconds(Int64(budgetSeconds * 1000))))
            let started = ContinuousClock.now
            let result = FileHandlerRegistry().load(FilePath(m.path("big.txt")), deadline: budget.deadline)
            let took = ContinuousClock.now - started
            guard case .failure(let error) = result, case .deadlineExceeded(let bytesRead) = error.kind else {
                Issue.record("expected deadlineExceeded: \(result)")
                return
            }
            #expect(bytesRead < big.count && bytesRead % chunk == 0, "\(bytesRead)")
            // No read starts after the deadline, and each read takes at least
            // the delay: at most floor(budget / delay) + 1 reads were made.
            let reads = try OnFS.events(m, fault: "delay").count
            let bound = Int(budgetSeconds / delay) + 1
            #expect(reads >= 1 && reads <= bound, "\(reads) reads, at most \(bound)")
            #expect(reads == bytesRead / chunk + 1 || reads == bytesRead / chunk, "every delayed read is one chunk: \(reads) reads, \(bytesRead) bytes")
            // The time overrun is one read's delay, plus scheduling slack on a busy machine.
            #expect(took < .milliseconds(Int64((budgetSeconds + delay) * 1000)) + .seconds(1), "took \(took)")
            #expect(budget.exhausted == .wallTime)
        }
    }
}
