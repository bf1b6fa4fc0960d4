import Testing
@testable import FaultEngine

struct EngineConcurrencyTests {
    @Test func concurrentCallersShareOneLimit() async throws {
        let (engine, _) = try makeEngine(FaultRule(.errno(ErrnoChoice(5)), operations: [.write], maxFirings: 100))
        let fired = await withTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var count = 0
                    for i in 0..<1000 where engine.decide(.write, path: "f\(i % 3)", caller: Caller(pid: Int32(task))).effect != .proceed {
                        count += 1
                    }
                    return count
                }
            }
            return await group.reduce(0, +)
        }
        #expect(fired == 100)
        #expect(engine.counters().calls == 8000)
        #expect(engine.drainTrace().count == 100)
    }

    @Test func systemClockIsMonotonic() {
        let clock = SystemClock()
        let first = clock.nanoseconds()
        let second = clock.nanoseconds()
        #expect(first > 0 && second >= first)
    }
}
