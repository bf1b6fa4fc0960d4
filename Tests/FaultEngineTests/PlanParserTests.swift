import Testing
@testable import FaultEngine

struct PlanParserTests {
    @Test func parsesEveryTargetingField() throws {
        let plan = try Plan.parse(yaml: """
            seed: 42
            rules:
              - name: flaky-json
                fault: errno
                path: "data/**/*.json"
                ops: [write, fsync]
                errno: {EIO: 3, ENOSPC: 1}
                nth: 3
                every: 2
                probability: 0.5
                max: 10
                after: 500ms
                for: 2s
                offset: {from: 4096, to: 8192}
                callers:
                  include: {name: [python3]}
                  exclude: {pid: [1, 2], exe: [/usr/bin/oracle]}
            """)
        #expect(plan.seed == 42)
        let rule = try #require(plan.rules.first)
        #expect(rule.name == "flaky-json")
        #expect(rule.fault == .errno(ErrnoChoice(weighted: [.init(errno: 5, weight: 3), .init(errno: 28, weight: 1)])))
        #expect(rule.path.pattern == "data/**/*.json")
        #expect(rule.operations == [.write, .fsync])
        #expect(rule.nth == 3 && rule.every == 2 && rule.maxFirings == 10 && rule.probability == 0.5)
        #expect(rule.after == 500_000_000 && rule.duration == 2_000_000_000)
        #expect(rule.offsets == 4096..<8192)
        #expect(rule.callers == CallerFilter(include: [.name("python3")], exclude: [.pid(1), .pid(2), .executable("/usr/bin/oracle")]))
        #expect(plan.lines == [3])
    }

    @Test("fault-specific fields", arguments: [
        ("{fault: missing}", Fault.missing),
        ("{fault: errno, errno: EROFS}", .errno(ErrnoChoice(30))),
        ("{fault: errno, errno: 122}", .errno(ErrnoChoice(122))),
        ("{fault: transient, errno: EAGAIN, count: 3}", .transient(ErrnoChoice(11), count: 3)),
        ("{fault: transient, for: 1s}", .transient(ErrnoChoice(5), count: nil)),
        ("{fault: short-write, bytes: 100}", .shortWrite(.bytes(100))),
        ("{fault: short-read, fraction: 0.25}", .shortRead(.fraction(0.25))),
        ("{fault: short-write, at-most: 10}", .shortWrite(.atMost(10))),
        ("{fault: torn-write}", .tornWrite(block: 4096)),
        ("{fault: lost-write}", .lostWrite),
        ("{fault: delay, ms: 2.5}", .delay(DelayModel(.fixed(2_500_000)))),
        ("{fault: delay, distribution: uniform, min: 1ms, max-delay: 3ms, bandwidth: 1000}",
         .delay(DelayModel(.uniform(min: 1_000_000, max: 3_000_000), bytesPerSecond: 1000))),
        ("{fault: delay, distribution: log-normal, median: 250us, sigma: 1}", .delay(DelayModel(.logNormal(median: 250_000, sigma: 1)))),
        ("{fault: corrupt-read, mode: flip-bits, flips: 4}", .corruptRead(.flipBits(4))),
        ("{fault: corrupt-read, mode: zero}", .corruptRead(.zero(bytes: nil))),
        ("{fault: kill-caller, bytes: 8192}", .killCaller(afterBytes: 8192)),
        ("{fault: power-loss, metadata: true, keep-random-subset: 0.5, kill-caller: false, kill: {name: [db]}}",
         .powerLoss(PowerLossOptions(metadata: true, keepProbability: 0.5, killCaller: false, kill: [.name("db")]))),
        ("{fault: fsync-fail}", .fsyncFail),
        ("{fault: disk-full, bytes: 1000, capacity: 5000}", .diskFull(afterBytes: 1000, capacity: 5000)),
    ])
    func faultFields(rule: String, fault: Fault) throws {
        let plan = try Plan.parse(yaml: "rules:\n  - \(rule)\n")
        #expect(plan.rules.first?.fault == fault)
    }

    @Test("bad plans get one line naming file, line and field", arguments: [
        ("rules:\n  - fault: errno\n    errno: EIO\n    probability: 1.5\n",
         "plan.yaml:4: rules[0].probability: 1.5 is outside 0...1; use a number from 0 to 1."),
        ("rules:\n  - fault: errno\n    errno: EIO\n  - fault: meltdown\n",
         "plan.yaml:4: rules[1].fault: meltdown is not a fault; use one of missing, errno, transient, short-write, short-read, torn-write, lost-write, delay, corrupt-read, kill-caller, power-loss, fsync-fail, disk-full."),
        ("rules:\n  - fault: lost-write\n    colour: red\n",
         "plan.yaml:3: rules[0].colour: is not a field of a lost-write rule; use after, callers, every, fault, for, max, name, nth, offset, ops, path, probability, skip."),
        ("rules:\n  - fault: missing\n    path: \"data/[abc\"\n",
         "plan.yaml:3: rules[0].path: the glob \"data/[abc\" has a `[` that is never closed by `]`."),
        ("rules:\n  - fault: transient\n    count: -2\n",
         "plan.yaml:3: rules[0].count: -2 is negative; use a whole number of 0 or more."),
        ("rules:\n  - fault: errno\n    errno: EFOO\n",
         "plan.yaml:3: rules[0].errno: EFOO is not a Linux errno name; use one like EIO, ENOSPC, EACCES or EAGAIN."),
        ("rules:\n  - fault: errno\n    errno: {EIO: 2, EBAR: 1}\n",
         "plan.yaml:3: rules[0].errno: EBAR is not a Linux errno name; use one like EIO, ENOSPC, EACCES or EAGAIN."),
        ("rules:\n  - fault: errno\n    errno: EIO\n    nth: three\n",
         "plan.yaml:4: rules[0].nth: three is not a whole number."),
        ("rules:\n  - fault: errno\n    errno: EIO\n    ops: [write, mount]\n",
         "plan.yaml:4: rules[0].ops: mount is not an operation; use names like lookup, open, read, write, fsync, rename."),
        ("rules: {fault: errno}\n",
         "plan.yaml:1: rules: a mapping is not a list; write one `- fault: ...` item per rule."),
        ("rules:\n  - fault: delay\n    ms: 1\n    after: soon\n",
         "plan.yaml:4: rules[0].after: soon is not a duration; write one like 500ms or 2s."),
        ("rules:\n  - name: x\n",
         "plan.yaml:2: rules[0].fault: is missing; name a fault such as errno or short-write."),
        ("rules:\n  - fault: short-write\n    fraction: 1.5\n",
         "plan.yaml:3: rules[0].fraction: 1.5 is outside 0..<1; use a number from 0 up to but not including 1."),
        ("rules:\n  - fault: errno\n    errno: EIO\n    probability: [1]\n",
         "plan.yaml:4: rules[0].probability: a list is not a number."),
        ("rules:\n  - fault: errno\n    errno: EIO\n    path: {a: b}\n",
         "plan.yaml:4: rules[0].path: a mapping is not text; write a single value."),
        ("rules:\n  - fault: errno\n    errno: EIO\n    max: -1\n",
         "plan.yaml:4: rules[0].max: -1 is negative; use a whole number of 0 or more."),
        ("rules:\n  - fault: errno\n    errno: EIO\n    callers: {include: {user: [root]}}\n",
         "plan.yaml:4: rules[0].callers.include.user: is not a way to name a process; use pid, name or exe."),
        ("seeds: 3\n",
         "plan.yaml:1: seeds: is not a plan field; use `seed` or `rules`."),
        // Beyond UInt64 nanoseconds: refused, where the conversion used to trap.
        ("rules:\n  - fault: missing\n    after: 1e300s\n",
         "plan.yaml:3: rules[0].after: 1e300s is longer than a day; use a duration of at most 86400s."),
        ("rules:\n  - fault: missing\n    for: 600000000000\n",
         "plan.yaml:3: rules[0].for: 600000000000 is longer than a day; use a duration of at most 86400s (leave `for` out for no end)."),
        ("rules:\n  - fault: delay\n    ms: 1e20\n",
         "plan.yaml:3: rules[0].ms: 1e20ms is longer than a day; use a duration of at most 86400s."),
    ])
    func errors(yaml: String, message: String) {
        do {
            _ = try Plan.parse(yaml: yaml)
            Issue.record("the plan should be rejected")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func armingAPlanWithADuplicateNameNamesTheRuleLine() throws {
        // Parsing refuses the duplicate already (HostileInputTests); a plan
        // built in code reaches the engine's own check.
        let plan = Plan(seed: 1, rules: [FaultRule(.lostWrite, name: "x"), FaultRule(.fsyncFail, name: "x")], file: "dup.yaml", lines: [3, 4])
        let (engine, _) = try makeEngine()
        do {
            try engine.arm(plan)
            Issue.record("the second rule should be rejected")
        } catch {
            #expect(error.description == "dup.yaml:4: rules[1].name: \"x\" is already armed; give each rule its own name.")
        }
        // A plan is armed whole or not at all.
        #expect(engine.rules().isEmpty)
    }

    @Test func invalidYAMLNamesTheLine() {
        do {
            _ = try Plan.parse(yaml: "rules:\n  - fault: errno\n   bad: [\n", file: "broken.yaml")
            Issue.record("the plan should be rejected")
        } catch {
            #expect(error.description.hasPrefix("broken.yaml:"))
            #expect(error.line != nil)
            #expect(error.description.contains("is not valid YAML"))
        }
    }

    @Test func errnoTableCoversLinuxNames() {
        #expect(LinuxErrno.table.count == 131)
        #expect(LinuxErrno.number(named: "EPERM") == 1)
        #expect(LinuxErrno.number(named: "EHWPOISON") == 133)
        #expect(LinuxErrno.number(named: "EWOULDBLOCK") == 11)
        #expect(LinuxErrno.name(of: 122) == "EDQUOT")
        #expect(LinuxErrno.name(of: 999) == "E999")
    }
}
