#if canImport(Glibc)
import Glibc
#endif
import FaultEngine
@testable import FaultFS
import Testing

/// What each of the engine's effects means for each operation, decided by
/// `CallAction` alone, without a mount: the one place a call's effect is
/// decided (issue 11, point 6).
struct CallActionTests {
    static let dataOps: [FSOperation] = [.read, .write]
    static let others: [FSOperation] = FSOperation.allCases.filter { !dataOps.contains($0) }

    @Test("every effect that replaces a call does so on every operation")
    func replacingEffects() {
        let plan = PowerLossPlan(seed: 3, metadata: true)
        for op in FSOperation.allCases {
            #expect(CallAction(.proceed, on: op, length: 10) == .perform)
            #expect(CallAction(.fail(ENOSPC), on: op, length: 10) == .refuse(ENOSPC))
            #expect(CallAction(.powerLoss(plan), on: op, length: 10) == .crash(plan))
            #expect(CallAction(.fail(ENOSPC), on: op).replacesCall)
            #expect(CallAction(.powerLoss(plan), on: op).replacesCall)
        }
    }

    @Test("fsync-fail drops a file's unsynced data on fsync, and is a plain EIO anywhere else")
    func fsyncFail() {
        #expect(CallAction(.fsyncFail, on: .fsync) == .dropUnsynced)
        #expect(CallAction(.fsyncFail, on: .fsyncdir) == .refuse(EIO), "a directory holds no unsynced data to drop")
        #expect(CallAction(.fsyncFail, on: .write, length: 4) == .refuse(EIO))
    }

    @Test("a short count cuts a read or a write, and answers with the count done")
    func short() {
        #expect(CallAction(.short(3), on: .write, length: 10) == .write(stored: 3, claimsAll: false, victim: nil))
        #expect(CallAction(.short(30), on: .write, length: 10) == .write(stored: 10, claimsAll: false, victim: nil),
                "never more than the caller gave")
        #expect(CallAction(.short(3), on: .read, length: 10) == .read(count: 3, corruption: nil))
        #expect(CallAction(.short(0), on: .read, length: 10) == .read(count: 0, corruption: nil), "zero is end of file")
    }

    @Test("torn and lost writes claim every byte; kill-after claims what it stored and names its victim")
    func writes() {
        #expect(CallAction(.torn(stored: 4), on: .write, length: 10) == .write(stored: 4, claimsAll: true, victim: nil))
        #expect(CallAction(.torn(stored: 40), on: .write, length: 10) == .write(stored: 10, claimsAll: true, victim: nil))
        #expect(CallAction(.lost, on: .write, length: 10) == .write(stored: 0, claimsAll: true, victim: nil))
        #expect(CallAction(.killAfter(bytes: 6, pid: 4242), on: .write, length: 10)
                == .write(stored: 6, claimsAll: false, victim: 4242))
        #expect(!CallAction(.lost, on: .write, length: 10).replacesCall, "the write itself carries it out")
    }

    @Test("a corrupt read damages the whole count read")
    func corrupt() {
        let plan = CorruptionPlan(mode: .flipBits(1), seed: 7)
        #expect(CallAction(.corrupt(plan), on: .read, length: 4096) == .read(count: 4096, corruption: plan))
        #expect(CallAction(.corrupt(plan), on: .write, length: 4096) == .perform, "nothing to damage on the way in")
    }

    @Test("a data effect on a call that moves no data changes nothing")
    func dataEffectsElsewhere() {
        let plan = CorruptionPlan(mode: .zero(bytes: nil), seed: 1)
        for op in Self.others {
            for effect: Effect in [.short(1), .torn(stored: 1), .lost, .corrupt(plan), .killAfter(bytes: 1, pid: 99)] {
                #expect(CallAction(effect, on: op, length: 8) == .perform, "\(effect) on \(op)")
            }
        }
        #expect(CallAction(.killAfter(bytes: 1, pid: 99), on: .read, length: 8) == .perform)
        #expect(CallAction(.lost, on: .read, length: 8) == .perform)
    }
}
