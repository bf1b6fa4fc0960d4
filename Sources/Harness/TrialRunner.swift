#if canImport(Glibc)
import Glibc
#endif
import ExecutorContract
import FaultEngine
import Foundation
import Results
import SystemCalls
import SystemPackage
import Yams

/// Runs one trial from start to verdict: a fresh directory set up on the
/// backing side, its rules armed over the control socket (scoped to that
/// directory), the executor run with a timeout, the rules cleared, the
/// trace collected and the ground truth judged.
struct TrialRunner: Sendable {
    let mount: RunMount
    let traces: TraceRouter
    let strays: StrayProcesses
    /// The command of each arm.
    let executors: [Arm: [String]]
    /// The harness's environment, which executors inherit (PATH and the
    /// FAULTBENCH_ variables are set per trial).
    let environment: [String: String]
    /// Seeded and filler bytes, made once per run.
    let cache = BytesCache()

    /// Runs the trial; a failure means the run cannot go on (the mount or its
    /// socket failed), not that the trial went badly.
    func run(_ trial: PlannedTrial, of scenario: Scenario) -> Result<TrialRecord, HarnessError> {
        let begin = Monotonic.now
        let id = trial.id
        let backingDirectory = mount.backing + "/" + id
        let directory = mount.mountpoint + "/" + id
        if case .failure(let error) = Setup.write(scenario.setup, into: backingDirectory, cache: cache) { return .failure(error) }

        let ruleIDs: [UInt64]
        switch arm(scenario.faults, for: id) {
        case .failure(let error): return .failure(error)
        case .success(let ids): ruleIDs = ids
        }

        var env = environment
        env["PATH"] = directory + "/bin:" + (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
        env[ExecutorEnvironment.root] = directory
        env[ExecutorEnvironment.trial] = id
        env[ExecutorEnvironment.arm] = trial.arm.rawValue
        var task = scenario.task
        task.patterns = scenario.patterns
        let input = (try? JSONEncoder().encode(task)).map { Array($0) + [UInt8(ascii: "\n")] } ?? []
        let process = ExecutorProcess(
            command: executors[trial.arm] ?? [], directory: directory,
            environment: env.map { "\($0.key)=\($0.value)" }.sorted(), input: input, timeout: scenario.timeout)
        let ending: ExecutorProcess.Ending
        switch process.run(strays: strays) {
        case .failure(let error): return .failure(error)
        case .success(let value): ending = value
        }
        // What the executor left running (a grandchild in a session of its
        // own, which the group kill missed) is ended before anything is
        // read: it could still be writing into the trial's directory while
        // the ground truth is read, or after. Ending one re-parents its own
        // children here, so sweep until none is left (bounded, against a
        // fork loop; the run's later sweeps catch the rest).
        var rounds = 0
        while rounds < 16, strays.sweep(mountpoint: mount.mountpoint, finished: { $0 == id }) > 0 { rounds += 1 }

        for ruleID in ruleIDs {
            if case .failure(let error) = mount.request(.clear(id: ruleID)) { return .failure(error) }
        }
        let faults: [String]
        switch traces.collect(for: id) {
        case .failure(let error): return .failure(error)
        case .success(let lines): faults = lines
        }
        let killedByFault = faults.contains { $0.contains("\"fault\":\"kill-caller\"") || $0.contains("\"fault\":\"power-loss\"") }

        let truth = GroundTruth.read(backingDirectory)
        let claim = Self.claim(in: ending.stdout)
        let verdict = Oracle(scenario: scenario, cache: cache).judge(
            Oracle.Evidence(claim: claim.decoded, timedOut: ending.timedOut, exitCode: ending.code,
                            signal: ending.signal, killedByFault: killedByFault),
            truth: truth)
        let stderr = String(decoding: ending.stderr.suffix(2000), as: UTF8.self)
        return .success(TrialRecord(
            index: trial.index, id: id, scenario: scenario.id, arm: trial.arm, number: trial.number, warmup: trial.warmup,
            outcome: verdict.outcome, reason: verdict.reason, claim: claim.decoded,
            rawClaim: claim.decoded == nil ? claim.line : nil,
            exit: ExitStatus(code: ending.code, signal: ending.signal, timedOut: ending.timedOut, killedByFault: killedByFault),
            seconds: ending.seconds, overhead: max(0, Monotonic.now - begin - ending.seconds),
            attempts: claim.decoded?.attempts ?? 1, faults: faults, groundTruth: truth.states,
            stderrTail: stderr.isEmpty ? nil : stderr))
    }

    /// Arms the scenario's rules for this trial: each rule's path moved under
    /// the trial's directory and its name prefixed with the trial's id, so
    /// concurrent trials never reach each other's files or share a stream.
    /// `arm` answers only once the rules are in force.
    private func arm(_ faults: Scenario.Faults, for id: String) -> Result<[UInt64], HarnessError> {
        guard !faults.sources.isEmpty else { return .success([]) }
        let rules: [Node] = faults.sources.enumerated().map { index, source in
            let path = source["path"].flatMap { if case .scalar(let text, _) = $0 { text } else { nil } } ?? "**"
            let name = source["name"].flatMap { if case .scalar(let text, _) = $0 { text } else { nil } } ?? "r\(index)"
            var scoped = source
                .setting("path", to: .scalar(Self.escapeGlob(id) + "/" + path, plain: false))
                .setting("name", to: .scalar(id + "." + name, plain: false))
            let own = index < faults.rules.count ? faults.rules[index] : nil
            switch faults.arm {
            case .beforeTask:
                break
            case .after(let delay):
                // Both below a day (the loader checks), so the sum fits.
                scoped = scoped.setting("after", to: .scalar("\((own?.after ?? 0) + delay)ns", plain: true))
            case .afterCalls(let calls):
                let (total, overflow) = (own?.skip ?? 0).addingReportingOverflow(calls)
                scoped = scoped.setting("skip", to: .scalar("\(overflow ? UInt64(Int.max) : total)", plain: true))
            }
            return scoped.node
        }
        let plan = Node.mapping(.init([(Node("rules"), Node.sequence(.init(rules)))]))
        guard let text = try? Yams.serialize(node: plan) else {
            return .failure(HarnessError("the rules of trial \(id) could not be written as YAML."))
        }
        return mount.request(.arm(plan: text, file: "scenario rules of \(id)")).map { $0.ids ?? [] }
    }

    /// A trial id is letters and digits, but a glob must not read it as a pattern.
    static func escapeGlob(_ text: String) -> String {
        var out = ""
        for character in text {
            if "*?[]\\".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }

    /// The claim: the last non-empty line of standard output, decoded.
    static func claim(in stdout: [UInt8]) -> (decoded: Claim?, line: String?) {
        let text = String(decoding: stdout, as: UTF8.self)
        guard let line = text.split(separator: "\n").last(where: { !$0.allSatisfy(\.isWhitespace) }) else { return (nil, nil) }
        // attempts counts real attempts: at least one. A claim that says
        // otherwise does not follow the contract, and would skew the mean.
        let decoded = (try? JSONDecoder().decode(Claim.self, from: Data(line.utf8))).flatMap { (1...1_000_000).contains($0.attempts) ? $0 : nil }
        return (decoded, String(line.prefix(1000)))
    }
}

/// Writes a scenario's setup into a trial's directory on the backing side.
enum Setup {
    static func write(_ setup: Scenario.Setup, into directory: String, cache: BytesCache) -> Result<Void, HarnessError> {
        func fail(_ what: String, _ error: Errno) -> Result<Void, HarnessError> {
            .failure(HarnessError("cannot set up \(what): \(error); is the backing directory writable?"))
        }
        if case .failure(let e) = Syscall.run({ mkdir(directory, 0o755) }) { return fail(directory, e) }
        for relative in setup.directories {
            if case .failure(let e) = makeDirectories(directory, relative) { return fail(relative, e) }
        }
        var files = setup.files.map { ($0.path, cache.bytes($0.bytes), $0.mode) }
        if !setup.tools.isEmpty {
            if case .failure(let e) = makeDirectories(directory, "bin") { return fail("bin", e) }
            files += setup.tools.map { ("bin/" + $0.name, Array($0.script.utf8), UInt32(0o755)) }
        }
        for (relative, bytes, mode) in files {
            if let slash = relative.lastIndex(of: "/"), case .failure(let e) = makeDirectories(directory, String(relative[..<slash])) {
                return fail(relative, e)
            }
            let path = directory + "/" + relative
            let opened = Syscall.run { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(mode)) }
            guard case .success(let fd) = opened else { return fail(relative, opened.errno!) }
            defer { Syscall.close(fd) }
            var rest = bytes[...]
            while !rest.isEmpty {
                let n = Syscall.count { rest.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } }
                guard case .success(let count) = n, count > 0 else { return fail(relative, n.errno ?? .noSpace) }
                rest = rest.dropFirst(count)
            }
            // The mode as written, whatever the umask took away.
            _ = Syscall.run { fchmod(fd, mode_t(mode)) }
        }
        return .success(())
    }

    private static func makeDirectories(_ base: String, _ relative: String) -> Result<Void, Errno> {
        var path = base
        for part in relative.split(separator: "/") {
            path += "/" + part
            if case .failure(let e) = Syscall.run({ mkdir(path, 0o755) }), e != .fileExists { return .failure(e) }
        }
        return .success(())
    }
}
