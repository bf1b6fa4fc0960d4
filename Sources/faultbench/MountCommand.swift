#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import FaultEngine
import FaultFS
import Harness
import SystemCalls

struct MountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mount",
        abstract: "Serve BACKING at MOUNTPOINT through FUSE until Ctrl-C or SIGTERM, then unmount."
    )

    @Argument(help: "The directory whose contents are served.")
    var backing: String

    @Argument(help: "An empty directory to mount on.")
    var mountpoint: String

    @Option(help: "Worker threads answering requests.")
    var threads: Int = 2

    @Option(help: "Microseconds a worker polls for the next request before it sleeps (0: never poll).")
    var spin: Int = 100

    @Option(help: "Seconds the kernel may cache names and attributes of files no rule targets.")
    var cacheTimeout: Double = 1.0

    @Flag(inversion: .prefixedNo, help: """
        Serve files no rule can reach through kernel passthrough (Linux 6.9+): their reads and writes skip faultbench. \
        Default: on, except with --control, where a rule armed later could not reach a file already open.
        """)
    var passthrough: Bool?

    @Flag(help: "Detach from the terminal once mounted.")
    var daemon = false

    @Flag(help: ArgumentHelp(
        "End (and so unmount) when the process that started this one ends.",
        discussion: "For a harness that runs the mount as its child: even if the harness is killed, the mount goes with it."))
    var exitWithParent = false

    @Flag(help: "Print every FUSE request (libfuse's debug output).")
    var debug = false

    @OptionGroup var faults: FaultOptions

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1.") }
        guard threads <= 256 else { throw ValidationError("--threads must be at most 256.") }
        guard spin >= 0 else { throw ValidationError("--spin must not be negative.") }
        // The daemon multiplies it into nanoseconds: bounded, it cannot overflow.
        guard spin <= 1_000_000 else { throw ValidationError("--spin must be at most 1000000 µs (one second).") }
        guard cacheTimeout >= 0 else { throw ValidationError("--cache-timeout must not be negative.") }
        guard cacheTimeout <= 86_400 else { throw ValidationError("--cache-timeout must be at most 86400 seconds.") }
    }

    func run() throws {
        if exitWithParent {
            // SIGTERM takes the ordinary way out: unmount, then exit.
            if case .failure(let e) = ProcessControl.exitWithParent(signal: SIGTERM) {
                throw Failure("cannot tie the mount to its parent process: \(e).")
            }
        }
        var config = MountConfiguration(backing: backing, mountpoint: mountpoint)
        config.threads = threads
        config.spinMicroseconds = spin
        config.cacheTimeout = cacheTimeout
        config.daemonize = daemon
        config.passthrough = passthrough
        config.debug = debug
        try faults.apply(to: &config)
        try serve(config, banner: "faultbench: mounted \(backing) at \(mountpoint)")
    }
}

struct UnmountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unmount",
        abstract: "Unmount a faultbench mount, also a stale or busy one (lazily)."
    )

    @Argument(help: "The mount point to clear.")
    var mountpoint: String

    func run() throws {
        if case .failure(let error) = FaultFSServer.unmount(mountpoint) { throw Failure(error.description) }
    }
}

/// The fault options shared by `mount` and `replay`.
struct FaultOptions: ParsableArguments {
    @Option(help: "A plan file (YAML) whose rules are armed before the first request.")
    var plan: String?

    @Option(help: "The run's seed; every rule's random stream derives from it (a plan's own seed wins).")
    var seed: UInt64 = 0

    @Option(help: "A Unix socket for arming, listing and clearing rules while mounted (see faultbench ctl).")
    var control: String?

    @Option(help: "Write the fault trace (JSON lines) to this file when the mount ends.")
    var trace: String?

    @Flag(help: "Log every write for power loss even while no crash rule is armed (for power loss on demand).")
    var trackDurability = false

    func apply(to config: inout MountConfiguration) throws {
        config.seed = seed
        config.controlSocket = control
        config.traceFile = trace
        config.trackDurability = trackDurability
        if let plan {
            let text = try TextFile.read(plan, what: "plan")
            do {
                config.plan = try Plan.parse(yaml: text, file: plan)
            } catch {
                throw Failure(error.description)
            }
        }
    }
}

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Mount BACKING at MOUNTPOINT and re-inject exactly the faults of a recorded trace."
    )

    @Argument(help: "A trace written by --trace or fetched with faultbench ctl SOCKET trace.")
    var tracePath: String

    @Argument(help: "The directory whose contents are served.")
    var backing: String

    @Argument(help: "An empty directory to mount on.")
    var mountpoint: String

    @Option(help: "A Unix socket for reading counters and the trace while mounted.")
    var control: String?

    @Option(help: "Write the faults injected during the replay to this file when the mount ends.")
    var trace: String?

    func run() throws {
        let text = try TextFile.read(tracePath, what: "trace")
        var config = MountConfiguration(backing: backing, mountpoint: mountpoint)
        let events: [TraceEvent]
        do {
            events = try TraceEvent.parse(trace: text)
        } catch {
            throw Failure("\(tracePath): \(error)")
        }
        // Clearing all rules restarts seq and call numbers, so a trace that
        // spans a clear cannot be matched to calls; refuse it.
        for (index, event) in events.enumerated().dropFirst() where event.seq <= events[index - 1].seq {
            throw Failure("\(tracePath): line \(index + 1): seq \(event.seq) does not follow \(events[index - 1].seq): the rules were cleared mid-trace; replay one trial's trace at a time (faultbench ctl SOCKET trace --drain after each trial).")
        }
        config.replay = events
        config.controlSocket = control
        config.traceFile = trace
        try serve(config, banner: "faultbench: mounted \(backing) at \(mountpoint), replaying \(tracePath)")
    }
}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check plan and scenario files without mounting: a summary of each, or its first error with file, line and field.",
        discussion: "A file under a scenarios/ directory, or one with a top-level `task:` key, is read as a scenario (docs/SCENARIOS.md); any other as a plan (docs/PLANS.md)."
    )

    @Argument(help: "The plan or scenario files (YAML).")
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("name at least one plan or scenario file") }
    }

    func run() throws {
        var problems: [String] = []
        for file in files {
            do {
                try check(file)
            } catch let failure as Failure {
                problems.append(failure.description)
            }
        }
        // Every file is checked; the bad ones are one line each, and the
        // last goes out as the failure so the exit code is 1.
        guard let last = problems.last else { return }
        for problem in problems.dropLast() { Output.error(problem) }
        throw Failure(last)
    }

    private func check(_ file: String) throws {
        let text = try TextFile.read(file, what: "plan or scenario")
        if ScenarioLoader.isScenario(path: file, text: text) {
            let scenario: Scenario
            do { scenario = try ScenarioLoader.parse(Array(text.utf8), file: file) } catch { throw Failure(error.description) }
            let rules = scenario.faults.rules.count
            let kind = scenario.isControl ? "control, no faults" : "\(rules) rule\(rules == 1 ? "" : "s")"
            Output.line("\(file): scenario \(scenario.id) (\(scenario.patterns.joined(separator: ", ")); \(scenario.task.work.kind); \(kind)), valid.")
            return
        }
        let parsed: Plan
        do { parsed = try Plan.parse(yaml: text, file: file) } catch { throw Failure(error.description) }
        for (index, rule) in parsed.rules.enumerated() {
            Output.line("rules[\(index)] \(rule.name ?? "(unnamed)"): \(rule.fault.kind.rawValue) on \(rule.path.description)")
        }
        Output.line("\(file): \(parsed.rules.count) rule\(parsed.rules.count == 1 ? "" : "s"), valid.")
    }
}

/// Serves a mount until it ends, printing `banner` once it is in place.
/// FAULTBENCH_FUSE_DEVICE names another device than /dev/fuse (for tests of
/// the missing-device message).
func serve(_ config: MountConfiguration, banner: String) throws {
    var config = config
    if let device = Environment.value("FAULTBENCH_FUSE_DEVICE") { config.fuseDevice = device }
    if case .failure(let error) = FaultFSServer.serve(config, onMounted: { Output.line(banner) }) {
        throw Failure(error.description)
    }
}
