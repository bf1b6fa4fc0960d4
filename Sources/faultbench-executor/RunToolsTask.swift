#if canImport(Glibc)
import Glibc
#endif
import ExecutionPatterns
import ExecutorContract
import SystemCalls
import SystemPackage

/// `run-tools`: run tools found on PATH (the trial's `bin/` first), in
/// order, and write each one's standard output to its `output` file
/// (docs/TASKS.md). The task succeeds only if every tool exits 0.
enum RunToolsTask {
    /// Ordinary code: spawn each tool with posix_spawnp, capture its output,
    /// write the file plainly, stop at the first tool that cannot be started
    /// or fails. No check first, no timeout: outputs already written stay.
    static func off(_ task: TaskSpec.RunTools) -> Claim {
        var produced: [String] = []
        for step in task.steps {
            do {
                let output = try spawnAndCapture(step.tool, step.args ?? [])
                if let path = step.output {
                    try PlainFiles.write(output, to: path)
                    produced.append(path)
                }
            } catch {
                return .failure(error, produced: produced)
            }
        }
        return Claim(status: .success, produced: produced)
    }

    /// EXEC-003 `ToolGuard`: every tool of the task (and its minimum version)
    /// checked before any runs; each run with the task's timeout. Outputs
    /// written with EXEC-004 and checked with PATTERN-002.
    static func on(_ task: TaskSpec.RunTools, _ patterns: PatternSelection) async -> Claim {
        var io = OnArmIO(patterns)
        var produced: [String] = []
        let guardian = ToolGuard()
        do {
            if patterns.toolGuards {
                var requirements: [ToolRequirement] = []
                for step in task.steps where !requirements.contains(where: { $0.name == step.tool }) {
                    var minimum: ToolVersion? = nil
                    if let text = step.minimumVersion {
                        guard let v = ToolVersion(text) else { throw TaskError("The minimum-version '\(text)' of '\(step.tool)' is not a dotted number.") }
                        minimum = v
                    }
                    requirements.append(ToolRequirement(step.tool, minimumVersion: minimum))
                }
                let report = await guardian.check(requirements)
                guard report.isSatisfied else { throw TaskError("No tool was run: \(report)") }
            }
            let timeout = Duration.taskSeconds(task.timeout ?? 10)
            for step in task.steps {
                let output: [UInt8]
                if patterns.toolGuards {
                    // The library's default limit (1 MiB) reports larger output as a
                    // failure to start (issue 10); the off arm takes any size, so
                    // the on arm is given room for any realistic tool output.
                    let result = try await guardian.run(step.tool, arguments: step.args ?? [], timeout: timeout, outputLimit: 64 << 20)
                    guard result.succeeded else {
                        let how = result.timedOut ? "did not finish within \(timeout) and was stopped"
                            : "ended with \(result.status.map { "\($0)" } ?? "an unknown status")"
                        throw TaskError("The tool '\(step.tool)' \(how): \(result.standardError.prefix(200))")
                    }
                    output = Array(result.standardOutput.utf8)
                } else {
                    output = try spawnAndCapture(step.tool, step.args ?? [])
                }
                if let path = step.output {
                    try io.writeFile(output, to: path)
                    produced.append(path)
                }
            }
            return Claim(status: .success, produced: produced, attempts: io.attempts)
        } catch {
            return .failure(error, produced: produced, attempts: io.attempts)
        }
    }

    /// posix_spawnp the tool with standard input from /dev/null and standard
    /// output into a pipe; read the pipe to its end and wait for the exit.
    static func spawnAndCapture(_ tool: String, _ arguments: [String]) throws -> [UInt8] {
        var pipeEnds: [Int32] = [-1, -1]
        if case .failure(let e) = Syscall.run({ pipe(&pipeEnds) }) {
            throw TaskError("Could not create a pipe for '\(tool)': \(e) (errno \(e.rawValue)).")
        }
        // Neither end may leak into the tool (it would never see end of file
        // on a pipe it holds itself); dup2 onto descriptor 1 clears the flag there.
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        let argv = ([tool] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, tool, &actions, nil, argv, environ)
        Syscall.close(pipeEnds[1])
        guard rc == 0 else {
            Syscall.close(pipeEnds[0])
            if rc == ENOENT { throw TaskError("Could not run '\(tool)': it was not found on PATH.") }
            throw TaskError("Could not start '\(tool)': \(Errno(rawValue: rc)) (errno \(rc)).")
        }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var readError: Errno? = nil
        while true {
            let got = buffer.withUnsafeMutableBytes { raw in Syscall.count { read(pipeEnds[0], raw.baseAddress, raw.count) } }
            guard case .success(let n) = got else { readError = got.errno; break }
            if n == 0 { break }
            output.append(contentsOf: buffer[0..<n])
        }
        Syscall.close(pipeEnds[0])
        var status: Int32 = 0
        if case .failure(let e) = Syscall.run({ waitpid(pid, &status, 0) }) {
            throw TaskError("Could not wait for '\(tool)': \(e) (errno \(e.rawValue)).")
        }
        if let readError { throw TaskError("Could not read the output of '\(tool)': \(readError) (errno \(readError.rawValue)).") }
        let signal = status & 0x7f
        if signal != 0 { throw TaskError("The tool '\(tool)' was killed by signal \(signal).") }
        let code = (status >> 8) & 0xff
        if code != 0 { throw TaskError("The tool '\(tool)' exited with status \(code).") }
        return output
    }
}
