import ArgumentParser
import FaultEngine
import FaultFS

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
        abstract: "Check a plan file without mounting: one line per rule, or the first error with file, line and field."
    )

    @Argument(help: "The plan file (YAML).")
    var plan: String

    func run() throws {
        let text = try TextFile.read(plan, what: "plan")
        let parsed: Plan
        do { parsed = try Plan.parse(yaml: text, file: plan) } catch { throw Failure(error.description) }
        for (index, rule) in parsed.rules.enumerated() {
            Output.line("rules[\(index)] \(rule.name ?? "(unnamed)"): \(rule.fault.kind.rawValue) on \(rule.path.description)")
        }
        Output.line("\(plan): \(parsed.rules.count) rule\(parsed.rules.count == 1 ? "" : "s"), valid.")
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
