import Foundation
import Testing
@testable import FaultEngine

/// Issue 12: no plan, however malformed, may trap, hang or name a process
/// group. Each row failed on the code before the fix: the durations trapped
/// (SIGILL, the whole test process with them), pids 0 and -1 were accepted,
/// an empty name and a duplicated name passed `check`.
struct HostileInputTests {
    private func refusal(_ yaml: String) -> String? {
        do {
            _ = try Plan.parse(yaml: yaml)
            return nil
        } catch {
            return error.description
        }
    }

    @Test("huge durations are refused with one line, not a trap", arguments: [
        ("{fault: delay, ms: 1e300}", "rules[0].ms: 1e300ms is longer than a day"),
        ("{fault: delay, ms: 9e18}", "rules[0].ms: 9e18ms is longer than a day"),
        ("{fault: delay, ms: 9e18ms}", "rules[0].ms: 9e18ms is longer than a day"),
        ("{fault: delay, distribution: log-normal, median: 1e300}", "rules[0].median: 1e300 is longer than a day"),
        ("{fault: delay, distribution: log-normal, median: 9e18s}", "rules[0].median: 9e18s is longer than a day"),
        ("{fault: delay, distribution: uniform, min: 1ms, max-delay: 1e300}", "rules[0].max-delay: 1e300 is longer than a day"),
        ("{fault: errno, errno: EIO, after: 1e300}", "rules[0].after: 1e300 is longer than a day"),
        ("{fault: errno, errno: EIO, after: 9e18}", "rules[0].after: 9e18 is longer than a day"),
        ("{fault: errno, errno: EIO, for: 9e18}", "rules[0].for: 9e18 is longer than a day"),
        ("{fault: errno, errno: EIO, for: 18446744073709551616ns}", "rules[0].for: 18446744073709551616ns is longer than a day"),
        ("{fault: delay, ms: .inf}", "rules[0].ms: .inf is not a duration"),
    ])
    func hugeDurations(rule: String, expected: String) throws {
        let message = try #require(refusal("rules:\n  - \(rule)\n"))
        #expect(message.hasPrefix("plan.yaml:2: " + expected), "\(message)")
        #expect(!message.contains("\n"))
    }

    @Test func theLongestDurationIsAccepted() throws {
        let plan = try Plan.parse(yaml: "rules:\n  - {fault: delay, ms: 86400000, after: 86400s, for: 1440m}\n")
        #expect(plan.rules[0].after == PlanLimits.longestDuration)
        #expect(plan.rules[0].duration == PlanLimits.longestDuration)
        #expect(plan.rules[0].fault == .delay(DelayModel(.fixed(PlanLimits.longestDuration))))
    }

    @Test("pids that name process groups are refused", arguments: [
        ("{fault: power-loss, kill: {pid: [-1]}}", "rules[0].kill.pid: -1 is not a process id"),
        ("{fault: power-loss, kill: {pid: [0]}}", "rules[0].kill.pid: 0 is not a process id"),
        ("{fault: power-loss, kill: {pid: [-4242]}}", "rules[0].kill.pid: -4242 is not a process id"),
        ("{fault: power-loss, kill: {pid: [4194305]}}", "rules[0].kill.pid: 4194305 is not a process id"),
        ("{fault: power-loss, kill: {pid: [2147483648]}}", "rules[0].kill.pid: 2147483648 is not a process id"),
        ("{fault: power-loss, kill: {pid: [1.5]}}", "rules[0].kill.pid: 1.5 is not a process id"),
        ("{fault: errno, errno: EIO, callers: {exclude: {pid: [0]}}}", "rules[0].callers.exclude.pid: 0 is not a process id"),
        ("{fault: errno, errno: EIO, callers: {include: {pid: -1}}}", "rules[0].callers.include.pid: -1 is not a process id"),
    ])
    func processGroups(rule: String, expected: String) throws {
        let message = try #require(refusal("rules:\n  - \(rule)\n"))
        #expect(message.hasPrefix("plan.yaml:2: " + expected), "\(message)")
    }

    @Test func rulesBuiltInCodeAreCheckedToo() throws {
        let (engine, _) = try makeEngine()
        let bad: [FaultRule] = [
            FaultRule(.powerLoss(PowerLossOptions(kill: [.pid(-1)]))),
            FaultRule(.powerLoss(PowerLossOptions(kill: [.pid(0)]))),
            FaultRule(.missing, callers: CallerFilter(exclude: [.pid(-7)])),
            FaultRule(.missing, name: ""),
            FaultRule(.missing, after: .max),
            FaultRule(.missing, duration: PlanLimits.longestDuration + 1),
            FaultRule(.delay(DelayModel(.fixed(.max)))),
            FaultRule(.delay(DelayModel(.logNormal(median: 1, sigma: .infinity)))),
            FaultRule(.corruptRead(.flipBits(.max))),
            FaultRule(.errno(ErrnoChoice(weighted: [.init(errno: 5, weight: .max), .init(errno: 28, weight: .max)]))),
        ]
        for rule in bad {
            #expect(throws: PlanError.self, "\(rule)") { try engine.arm(rule) }
        }
        #expect(engine.rules().isEmpty)
    }

    @Test func anEmptyRuleNameIsRefused() throws {
        let message = try #require(refusal("rules:\n  - fault: lost-write\n    name: \"\"\n"))
        #expect(message == "plan.yaml:3: rules[0].name: is empty; give the rule a name, or leave `name` out for a generated one.")
    }

    @Test func aNameUsedTwiceInOnePlanIsRefusedWhenParsing() throws {
        let message = try #require(refusal("rules:\n  - {name: x, fault: lost-write}\n  - {name: y, fault: missing}\n  - {name: x, fault: fsync-fail}\n"))
        #expect(message == "plan.yaml:4: rules[2].name: \"x\" is already the name of rules[0] (line 2); give each rule its own name.")
        // An explicit name may also clash with the one an unnamed rule gets.
        let generated = try #require(refusal("rules:\n  - {fault: missing}\n  - {name: missing-1, fault: lost-write}\n"))
        #expect(generated.contains("\"missing-1\" is already the name of rules[0]"), "\(generated)")
    }

    @Test func aDuplicatedKeyIsOneLine() throws {
        let message = try #require(refusal("rules:\n  - fault: errno\n    errno: EIO\n    errno: ENOSPC\n"))
        #expect(!message.contains("\n"), "\(message)")
        #expect(message.hasPrefix("plan.yaml:"), "\(message)")
        #expect(message.contains("`errno` appears more than once"), "\(message)")
    }

    @Test func otherNumbersHaveCeilings() throws {
        #expect(try #require(refusal("rules:\n  - {fault: corrupt-read, flips: 9000000000000000000}\n")).contains("flips: 9000000000000000000 is above 1048576"))
        #expect(try #require(refusal("rules:\n  - {fault: errno, errno: {EIO: 9000000000000000000, ENOSPC: 9000000000000000000}}\n")).contains("is above 1000000"))
        #expect(try #require(refusal("rules:\n  - {fault: errno, errno: EIO, nth: 1e300}\n")).contains("nth: 1e300 is not a whole number"))
        #expect(try #require(refusal("seed: -1\nrules: []\n")).contains("seed: -1 is not a whole number"))
        #expect(try #require(refusal("rules:\n  - {fault: errno, errno: 99999999999}\n")).contains("is not a Linux errno name"))
    }

    @Test func deepNestingIsRefusedBeforeTheYAMLParserRecurses() throws {
        for text in [
            "rules: " + String(repeating: "[", count: 200_000),
            "rules:\n" + String(repeating: "- ", count: 200_000) + "x\n",
            "rules: [{fault: errno, errno: EIO, path: " + String(repeating: "{a: ", count: 50_000) + "}]",
        ] {
            let message = try #require(refusal(text))
            #expect(message.contains("nests more than 100 levels deep"), "\(message.prefix(200))")
        }
        // A quoted bracket does not count.
        #expect(throws: Never.self) { try Plan.parse(yaml: "rules:\n  - {fault: missing, path: \"" + String(repeating: "[", count: 300) + "]\"}\n") }
    }

    // MARK: The engine never asks for kill(0)

    @Test func aKernelWriteWithPidZeroKillsNobody() throws {
        let (engine, _) = try makeEngine(FaultRule(.killCaller(afterBytes: 0)), FaultRule(.powerLoss(PowerLossOptions()), operations: [.fsync]))
        let kernel = Caller(pid: 0)
        #expect(engine.decide(.write, path: "f", caller: kernel, length: 4096).effect == .proceed)
        guard case .powerLoss(let plan) = engine.decide(.fsync, path: "f", caller: kernel).effect else {
            Issue.record("the power loss should still happen")
            return
        }
        #expect(plan.kill.isEmpty, "pid 0 is not put in the kill list: \(plan.kill)")
        // A real caller is still killed.
        #expect(engine.decide(.write, path: "f", caller: worker, length: 10).effect == .killAfter(bytes: 0, pid: 100))
    }

    @Test func traceNumbersThatOverflowAreRefusedNotTrapped() {
        #expect(TraceEvent.nanoseconds(fromSeconds: "18446744073709551615.0") == nil)
        #expect(TraceEvent.nanoseconds(fromSeconds: "18446744073.709551616") == nil)
        #expect(TraceEvent.nanoseconds(fromSeconds: "1.5") == 1_500_000_000)
        #expect(Effect.fromTrace(result: "delay 18446744073709551615.000000ms", pid: 1) == nil)
        #expect(Effect.fromTrace(result: "delay 86400001.000000ms", pid: 1) == nil)
        #expect(Effect.fromTrace(result: "kill after 10/20", pid: 0) == nil)
        #expect(Effect.fromTrace(result: "short -5/20", pid: 1) == nil)
        #expect(Effect.fromTrace(result: "torn -1/20", pid: 1) == nil)
        if case .powerLoss(let plan)? = Effect.fromTrace(result: "power-loss seed=0x1 keep=0.0 metadata=false", pid: 0)?.effect {
            #expect(plan.kill.isEmpty)
        } else {
            Issue.record("a replayed power loss should still happen")
        }
        #expect(Effect.fromTrace(result: "power-loss seed=0x1 keep=7 metadata=false", pid: 5) == nil)
        // A corrupt-read with an absurd flip count finishes.
        var bytes = [UInt8](repeating: 0, count: 16)
        bytes.withUnsafeMutableBytes { CorruptionPlan(mode: .flipBits(.max), seed: 3).apply(to: $0) }
    }

    @Test func delaysAreCappedAndNeverOverflow() {
        var stream = RandomStream(seed: 1)
        let slow = DelayModel(.fixed(PlanLimits.longestDuration), bytesPerSecond: 1)
        #expect(slow.nanoseconds(length: Int.max, &stream) == PlanLimits.longestDuration)
        let tail = DelayModel(.logNormal(median: PlanLimits.longestDuration, sigma: 1000))
        for _ in 0..<100 { #expect(tail.nanoseconds(length: 1, &stream) <= PlanLimits.longestDuration) }
        // Found by the plan fuzzer: 0 x exp(huge) is NaN, and UInt64(NaN) traps.
        let zero = DelayModel(.logNormal(median: 0, sigma: 1e300))
        for _ in 0..<100 { #expect(zero.nanoseconds(length: 1, &stream) == 0) }
    }

    // MARK: Glob

    @Test("pathological globs match in far less than a second", .timeLimit(.minutes(1)), arguments: [
        (String(repeating: "*a", count: 25) + "*b", String(repeating: "a", count: 200)),
        (String(repeating: "*a", count: 500) + "*b", String(repeating: "a", count: 255)),
        (String(repeating: "**/", count: 300) + "b", Array(repeating: "a", count: 2000).joined(separator: "/")),
        (String(repeating: "**/*a/", count: 150) + "b", Array(repeating: "aaaaaaaa", count: 450).joined(separator: "/")),
        (String(repeating: "?*", count: 500), String(repeating: "x", count: 255) + "/y"),
        (String(repeating: "[a-z]*", count: 160) + "!", String(repeating: "q", count: 4000)),
    ])
    func pathological(pattern: String, path: String) throws {
        let glob = try Glob(pattern)
        let start = ContinuousClock.now
        for _ in 0..<10 { #expect(!glob.matches(path)) }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed < .milliseconds(500), "10 matches took \(elapsed)")
    }

    @Test func aGlobLongerThanTheLimitIsRefused() throws {
        _ = try Glob(String(repeating: "a", count: Glob.maximumLength))
        #expect(throws: GlobError.self) { try Glob(String(repeating: "*a", count: Glob.maximumLength)) }
        let message = try #require(refusal("rules:\n  - {fault: missing, path: \"" + String(repeating: "*a", count: 600) + "\"}\n"))
        #expect(message.contains("a glob may have at most 1024"), "\(message)")
    }

    /// The linear matcher agrees with a plain recursive one (the one it
    /// replaced, kept here as the reference) on seeded random patterns.
    @Test func agreesWithTheRecursiveReference() throws {
        var stream = RandomStream(seed: 12)
        let atoms = ["a", "b", "/", "*", "?", "**/", "[ab]", "[!a]"]
        let letters: [UInt8] = Array("ab/".utf8)
        var compared = 0
        for _ in 0..<20_000 {
            var pattern = ""
            for _ in 0..<Int(stream.next(below: 7)) { pattern += atoms[Int(stream.next(below: UInt64(atoms.count)))] }
            if stream.next(below: 4) == 0 { pattern += pattern.hasSuffix("/") || pattern.isEmpty ? "**" : "/**" }
            guard let glob = try? Glob(pattern) else { continue }
            let path = String(decoding: (0..<Int(stream.next(below: 8))).map { _ in letters[Int(stream.next(below: 3))] }, as: UTF8.self)
            var bytes = Array(path.utf8)[...]
            while bytes.first == UInt8(ascii: "/") { bytes = bytes.dropFirst() }
            let expected = Self.reference(glob.tokens[...], Array(bytes)[...])
            #expect(glob.matches(path) == expected, "\(pattern) vs \(path)")
            compared += 1
        }
        #expect(compared > 10_000)
    }

    private static func reference(_ tokens: ArraySlice<Glob.Token>, _ path: ArraySlice<UInt8>) -> Bool {
        let slash = UInt8(ascii: "/")
        guard let token = tokens.first else { return path.isEmpty }
        let rest = tokens.dropFirst()
        switch token {
        case .literal(let byte): return path.first == byte && reference(rest, path.dropFirst())
        case .one: return path.first.map { $0 != slash } == true && reference(rest, path.dropFirst())
        case .set(let set, let negated):
            guard let b = path.first, b != slash, set.contains(b) != negated else { return false }
            return reference(rest, path.dropFirst())
        case .star:
            var k = path.startIndex
            while true {
                if reference(rest, path[k...]) { return true }
                if k == path.endIndex || path[k] == slash { return false }
                k += 1
            }
        case .segments:
            var k = path.startIndex
            while true {
                if reference(rest, path[k...]) { return true }
                while k < path.endIndex, path[k] != slash { k += 1 }
                if k == path.endIndex { return false }
                k += 1
            }
        case .rest:
            return true
        }
    }
}
