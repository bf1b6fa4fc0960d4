import Testing
@testable import FaultEngine

struct FaultDecisionTests {
    @Test func missingFailsWithENOENTAndHidesFromReaddir() throws {
        let (engine, _) = try makeEngine(FaultRule(.missing, path: .of("bin/tool")))
        #expect(engine.decide(.lookup, path: "bin/tool", caller: worker).effect == .fail(2))
        #expect(engine.decide(.getattr, path: "bin/tool", caller: worker).effect == .fail(2))
        #expect(engine.decide(.read, path: "bin/tool", caller: worker).effect == .proceed)
        #expect(engine.hides(name: "bin/tool", caller: worker))
        #expect(!engine.hides(name: "bin/other", caller: worker))
    }

    @Test func hidingRespectsCallerFilter() throws {
        let (engine, _) = try makeEngine(FaultRule(.missing, path: .of("x"), callers: CallerFilter(exclude: [.pid(1)])))
        #expect(engine.hides(name: "x", caller: worker))
        #expect(!engine.hides(name: "x", caller: Caller(pid: 1)))
    }

    @Test func weightedErrnoFollowsItsWeightsUnderAFixedSeed() throws {
        let choice = ErrnoChoice(weighted: [.init(errno: 5, weight: 3), .init(errno: 28, weight: 1)])
        let (engine, _) = try makeEngine(seed: 42, FaultRule(.errno(choice), operations: [.write]))
        var counts: [Int32: Int] = [:]
        for _ in 0..<4000 {
            if case .fail(let e) = engine.decide(.write, path: "f", caller: worker).effect { counts[e, default: 0] += 1 }
        }
        #expect(counts.values.reduce(0, +) == 4000)
        #expect(Set(counts.keys) == [5, 28])
        // 3:1 weights: 3000 expected EIO; seed 42 is fixed, so this count never changes between runs.
        #expect((2850...3150).contains(counts[5]!))
    }

    @Test func transientFailsFirstNCallsThenSucceeds() throws {
        let (engine, _) = try makeEngine(FaultRule(.transient(ErrnoChoice(11), count: 2), operations: [.open]))
        let effects = (1...4).map { _ in engine.decide(.open, path: "f", caller: worker).effect }
        #expect(effects == [.fail(11), .fail(11), .proceed, .proceed])
    }

    @Test("skip leaves the first N matching calls alone; nth and a transient count start after them")
    func skipStartsTheFaultPartwayThrough() throws {
        var rule = FaultRule(.errno(ErrnoChoice(5)), operations: [.write])
        rule.skip = 2
        let (engine, _) = try makeEngine(rule)
        let effects = (1...4).map { _ in engine.decide(.write, path: "f", caller: worker).effect }
        #expect(effects == [.proceed, .proceed, .fail(5), .fail(5)])
        // Other operations are not counted toward the skip.
        #expect(engine.decide(.read, path: "f", caller: worker).effect == .proceed)

        var transient = FaultRule(.transient(ErrnoChoice(11), count: 1), operations: [.open])
        transient.skip = 1
        let (second, _) = try makeEngine(transient)
        let opens = (1...3).map { _ in second.decide(.open, path: "f", caller: worker).effect }
        #expect(opens == [.proceed, .fail(11), .proceed])
    }

    @Test func skipIsReadFromAPlan() throws {
        let plan = try Plan.parse(yaml: "rules:\n  - {fault: lost-write, skip: 3}\n")
        #expect(plan.rules[0].skip == 3)
        #expect(throws: PlanError.self) { try Plan.parse(yaml: "rules:\n  - {fault: lost-write, skip: -1}\n") }
    }

    @Test func transientDuringWindowThenSucceeds() throws {
        let (engine, clock) = try makeEngine(FaultRule(.transient(ErrnoChoice(16), count: nil), operations: [.open], duration: 2_000_000_000))
        #expect(engine.decide(.open, path: "f", caller: worker).effect == .fail(16))
        clock.advance(by: .milliseconds(1999))
        #expect(engine.decide(.open, path: "f", caller: worker).effect == .fail(16))
        clock.advance(by: .milliseconds(1))
        #expect(engine.decide(.open, path: "f", caller: worker).effect == .proceed)
    }

    @Test("short writes", arguments: [
        (ShortAmount.bytes(100), 4096, Effect.short(100)),
        (ShortAmount.bytes(5000), 4096, Effect.proceed),
        (ShortAmount.fraction(0.5), 4096, Effect.short(2048)),
        (ShortAmount.fraction(0.5), 1, Effect.short(0)),
    ])
    func shortWrite(amount: ShortAmount, length: Int, expected: Effect) throws {
        let (engine, _) = try makeEngine(FaultRule(.shortWrite(amount)))
        #expect(engine.decide(.write, path: "f", caller: worker, length: length).effect == expected)
        #expect(engine.decide(.read, path: "f", caller: worker, length: length).effect == .proceed)
    }

    @Test func atMostDrawsBelowTheAskedLength() throws {
        let (engine, _) = try makeEngine(FaultRule(.shortRead(.atMost(10))))
        for _ in 0..<200 {
            guard case .short(let n) = engine.decide(.read, path: "f", caller: worker, length: 8).effect else {
                Issue.record("at-most must shorten every read longer than one byte")
                return
            }
            #expect((1...7).contains(n))
        }
        #expect(engine.decide(.read, path: "f", caller: worker, length: 1).effect == .proceed)
    }

    @Test("torn writes cut at the last block boundary inside the write", arguments: [
        (Int64(0), 10000, 4096, 8192), (Int64(100), 10000, 4096, 8092), (Int64(0), 4096, 4096, 0),
        (Int64(0), 100, 4096, 0), (Int64(0), 1000, 512, 512),
    ])
    func tornWrite(offset: Int64, length: Int, block: Int, stored: Int) throws {
        let (engine, _) = try makeEngine(FaultRule(.tornWrite(block: block)))
        #expect(engine.decide(.write, path: "f", caller: worker, offset: offset, length: length).effect == .torn(stored: stored))
    }

    @Test func lostWriteAndFsyncFail() throws {
        let (engine, _) = try makeEngine(FaultRule(.lostWrite, path: .of("a")), FaultRule(.fsyncFail, path: .of("a")))
        #expect(engine.decide(.write, path: "a", caller: worker, length: 10).effect == .lost)
        #expect(engine.decide(.fsync, path: "a", caller: worker).effect == .fsyncFail)
        #expect(engine.decide(.fsync, path: "b", caller: worker).effect == .proceed)
    }

    @Test func delaysAddUpAndBandwidthScalesWithLength() throws {
        let (engine, _) = try makeEngine(
            FaultRule(.delay(DelayModel(.fixed(2_000_000))), operations: [.read]),
            FaultRule(.delay(DelayModel(bytesPerSecond: 1_000_000)), operations: [.read]),
            FaultRule(.errno(ErrnoChoice(5)), operations: [.read]))
        let decision = engine.decide(.read, path: "f", caller: worker, length: 500_000)
        #expect(decision.delayNanoseconds == 2_000_000 + 500_000_000)
        #expect(decision.effect == .fail(5))
        #expect(engine.traceLines().count == 3)
        #expect(engine.traceLines()[0].contains("\"result\":\"delay 2.000000ms\""))
    }

    @Test func bandwidthOnlyDelayLeavesCallsWithoutBytesAlone() throws {
        let (engine, _) = try makeEngine(FaultRule(.delay(DelayModel(bytesPerSecond: 1_000))))
        #expect(engine.decide(.lookup, path: "f", caller: worker).isProceed)
        #expect(engine.decide(.write, path: "f", caller: worker, length: 10).delayNanoseconds == 10_000_000)
        #expect(engine.traceLines().count == 1)
    }

    @Test func uniformAndLogNormalDelaysStayInRangeAndRepeat() throws {
        func draws(_ d: DelayDistribution) throws -> [UInt64] {
            let (engine, _) = try makeEngine(seed: 3, FaultRule(.delay(DelayModel(d))))
            return (0..<500).map { _ in engine.decide(.read, path: "f", caller: worker).delayNanoseconds }
        }
        let uniform = try draws(.uniform(min: 1_000, max: 2_000))
        #expect(uniform.allSatisfy { (1_000...2_000).contains($0) })
        #expect(Set(uniform).count > 100)
        let logNormal = try draws(.logNormal(median: 1_000_000, sigma: 0.5))
        #expect(logNormal == (try draws(.logNormal(median: 1_000_000, sigma: 0.5))))
        let below = logNormal.filter { $0 < 1_000_000 }.count
        #expect((200...300).contains(below), "the median splits draws about in half")
    }

    @Test func corruptReadAppliesTheSameDamageFromTheSameSeed() throws {
        let (engine, _) = try makeEngine(FaultRule(.corruptRead(.flipBits(3))))
        guard case .corrupt(let plan) = engine.decide(.read, path: "f", caller: worker, length: 64).effect else {
            Issue.record("corrupt-read must return a corruption plan")
            return
        }
        var a = [UInt8](repeating: 0, count: 64)
        var b = a
        a.withUnsafeMutableBytes { plan.apply(to: $0) }
        b.withUnsafeMutableBytes { plan.apply(to: $0) }
        #expect(a == b)
        let flipped = a.reduce(0) { $0 + $1.nonzeroBitCount }
        #expect((1...3).contains(flipped) && flipped % 2 == 1)
    }

    @Test("corruption modes", arguments: [CorruptionMode.zero(bytes: 8), .zero(bytes: nil), .random(bytes: 8)])
    func corruptionModes(mode: CorruptionMode) {
        var buffer = [UInt8](repeating: 0xAA, count: 32)
        buffer.withUnsafeMutableBytes { CorruptionPlan(mode: mode, seed: 9).apply(to: $0) }
        let changed = buffer.filter { $0 != 0xAA }.count
        switch mode {
        case .zero(let n): #expect(changed == (n ?? 32) && buffer.filter { $0 == 0 }.count == changed)
        default: #expect(changed > 0 && changed <= 8)
        }
        let runStart = buffer.firstIndex { $0 != 0xAA }!
        let runEnd = buffer.lastIndex { $0 != 0xAA }!
        #expect(runEnd - runStart < (mode == .zero(bytes: nil) ? 32 : 8), "damage is one contiguous range")
    }

    @Test func killCallerLandsExactlyAtTheByteCount() throws {
        let (engine, _) = try makeEngine(FaultRule(.killCaller(afterBytes: 10_000), path: .of("out/*")))
        let a = Caller(pid: 1), b = Caller(pid: 2)
        #expect(engine.decide(.write, path: "out/x", caller: a, offset: 0, length: 4096).effect == .proceed)
        #expect(engine.decide(.write, path: "out/x", caller: b, offset: 0, length: 8192).effect == .proceed)
        #expect(engine.decide(.write, path: "out/y", caller: a, offset: 0, length: 8192).effect == .proceed)
        #expect(engine.decide(.write, path: "out/x", caller: a, offset: 4096, length: 4096).effect == .proceed)
        #expect(engine.decide(.write, path: "out/x", caller: a, offset: 8192, length: 4096).effect == .killAfter(bytes: 1808, pid: 1))
        #expect(engine.decide(.write, path: "out/x", caller: a, offset: 12288, length: 4096).effect == .proceed)
        #expect(engine.decide(.write, path: "out/x", caller: b, offset: 8192, length: 1808).effect == .killAfter(bytes: 1808, pid: 2))
    }

    @Test func diskFullShortensTheWriteThatCrossesAndFailsAfter() throws {
        let (engine, _) = try makeEngine(FaultRule(.diskFull(afterBytes: 10_000, capacity: 1_000_000), path: .of("data/**")))
        #expect(engine.statfsOverride() == StatfsOverride(totalBytes: 1_000_000, freeBytes: 1_000_000))
        #expect(engine.decide(.write, path: "data/a", caller: worker, length: 6000).effect == .proceed)
        #expect(engine.decide(.write, path: "other", caller: worker, length: 6000).effect == .proceed)
        #expect(engine.decide(.create, path: "data/b", caller: worker).effect == .proceed)
        #expect(engine.decide(.write, path: "data/b", caller: worker, length: 6000).effect == .short(4000))
        #expect(engine.decide(.write, path: "data/a", caller: worker, length: 1).effect == .fail(28))
        #expect(engine.decide(.mkdir, path: "data/c", caller: worker).effect == .fail(28))
        #expect(engine.statfsOverride() == StatfsOverride(totalBytes: 1_000_000, freeBytes: 990_000))
    }

    @Test func powerLossPlanKillsTheCallerAndNamedProcesses() throws {
        let options = PowerLossOptions(metadata: true, keepProbability: 0.25, kill: [.name("db")])
        let (engine, _) = try makeEngine(FaultRule(.powerLoss(options), nth: 2))
        #expect(engine.decide(.fsync, path: "f", caller: worker).effect == .proceed)
        guard case .powerLoss(let plan) = engine.decide(.fsync, path: "f", caller: worker).effect else {
            Issue.record("the second fsync must trigger the power loss")
            return
        }
        #expect(plan.metadata && plan.keepProbability == 0.25)
        #expect(plan.kill == [.pid(100), .name("db")])
    }

    @Test func firstEffectWinsAndLaterRulesDoNotCount() throws {
        let (engine, _) = try makeEngine(FaultRule(.errno(ErrnoChoice(5)), name: "first"), FaultRule(.errno(ErrnoChoice(13)), name: "second"))
        #expect(engine.decide(.open, path: "f", caller: worker).effect == .fail(5))
        #expect(engine.rules().map(\.matched) == [1, 0])
    }
}
