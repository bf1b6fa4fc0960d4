/// A list of rules and an optional seed, usually read from a YAML plan file.
///
/// ```yaml
/// seed: 42                       # optional; the harness passes it to FaultEngine(seed:)
/// rules:
///   - name: flaky-json           # optional; names the rule in the trace and keys its random stream
///     fault: errno
///     path: "data/**/*.json"     # glob relative to the mount root; default "**"
///     ops: [write, fsync]        # default: the fault's own operations
///     errno: {EIO: 3, ENOSPC: 1} # or one name (EIO) or number (5)
///     nth: 3                     # only the 3rd matching call
///     every: 2                   # only every 2nd matching call
///     probability: 0.5           # 0...1, drawn from the rule's stream
///     max: 10                    # at most 10 firings
///     after: 500ms               # active from 500 ms after arming ...
///     for: 2s                    # ... for 2 s (ns, us, ms, s, m; a bare number is seconds)
///     offset: {from: 0, to: 4096}   # only I/O touching [from, to)
///     callers: {include: {name: [python3]}, exclude: {pid: [1], exe: [/usr/bin/oracle]}}
/// ```
///
/// Fault-specific fields:
///
/// | fault | fields | default ops |
/// |---|---|---|
/// | missing | — | lookup, getattr, open, opendir, access, readlink, setattr, chmod, chown, truncate, unlink, rmdir, rename |
/// | errno | `errno` (required) | all |
/// | transient | `errno` (default EIO), `count` (default 1 unless `for` is given) | all |
/// | short-write, short-read | exactly one of `bytes`, `fraction` (0..<1), `at-most` | write / read |
/// | torn-write | `block` (default 4096) | write |
/// | lost-write | — | write |
/// | delay | `ms`, or `distribution: uniform` with `min` and `max-delay`, or `distribution: log-normal` with `median` and `sigma` (default 0.5); `bandwidth` in bytes/s | all |
/// | corrupt-read | `mode` flip-bits (with `flips`, default 1), zero or random (with optional `bytes`) | read |
/// | kill-caller | `bytes` (required) | write |
/// | power-loss | `metadata`, `keep-random-subset` (0...1), `kill-caller` (default true), `kill` {pid, name, exe} | fsync |
/// | fsync-fail | — | fsync |
/// | disk-full | `bytes` (required), `capacity` (what statfs reports) | write, create, mkdir, mknod, symlink, link, fallocate |
public struct Plan: Sendable, Hashable {
    /// The run seed, if the plan fixes one.
    public var seed: UInt64?
    /// The rules, in the order they are armed.
    public var rules: [FaultRule]
    /// The file the plan came from, for error messages.
    public var file: String?
    /// The line of each rule in that file, for error messages when arming.
    public var lines: [Int?]

    /// Creates a plan.
    public init(seed: UInt64? = nil, rules: [FaultRule], file: String? = nil, lines: [Int?]? = nil) {
        self.seed = seed
        self.rules = rules
        self.file = file
        self.lines = lines ?? Array(repeating: nil, count: rules.count)
    }

    /// Parses a YAML plan.
    /// - Parameters:
    ///   - yaml: The plan's text.
    ///   - file: The name used in error messages.
    /// - Throws: `PlanError` naming the file, line and field of the first problem.
    public static func parse(yaml: String, file: String = "plan.yaml") throws(PlanError) -> Plan {
        try PlanParser(file: file).parse(yaml)
    }
}
