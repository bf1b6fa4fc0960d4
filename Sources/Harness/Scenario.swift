import ExecutorContract
import FaultEngine
import Results

/// A failure scenario, as loaded from `scenarios/<pattern>/<name>.yaml`
/// (format: docs/SCENARIOS.md, schema: scenarios/schema.json).
///
/// Everything in it has been checked by the loader: a trial never starts
/// from a scenario that could fail halfway through setting up.
public struct Scenario: Sendable {
    /// Unique within a suite, e.g. `exec-004/disk-full-midway`.
    public var id: String
    public var title: String
    /// The real-world failure the scenario stands for.
    public var description: String
    /// The pattern IDs the scenario exercises (EXEC-001 ... PATTERN-003).
    public var patterns: [String]
    public var setup: Setup
    /// The task, as the JSON object executors receive (with `patterns` filled in).
    public var task: TaskSpec
    public var faults: Faults
    public var expect: Expectation
    /// Seconds before a trial's executor is killed and the trial counted as a hang.
    public var timeout: Double
    /// Trials per arm, unless the run says otherwise.
    public var trials: Int?
    public var rerun: RerunPolicy
    /// Regression thresholds for `faultbench compare` (issue 9); nil means the defaults.
    public var thresholds: Thresholds?
    /// The file the scenario came from, and the SHA-256 of its bytes.
    public var file: String
    public var sha256: String

    /// Whether the scenario injects no fault: it measures a pattern's cost when nothing goes wrong.
    public var isControl: Bool { faults.rules.isEmpty }

    public init(id: String, title: String, description: String, patterns: [String], setup: Setup, task: TaskSpec,
                faults: Faults, expect: Expectation, timeout: Double, trials: Int?, rerun: RerunPolicy,
                thresholds: Thresholds?, file: String, sha256: String) {
        self.id = id
        self.title = title
        self.description = description
        self.patterns = patterns
        self.setup = setup
        self.task = task
        self.faults = faults
        self.expect = expect
        self.timeout = timeout
        self.trials = trials
        self.rerun = rerun
        self.thresholds = thresholds
        self.file = file
        self.sha256 = sha256
    }
}

extension Scenario {
    /// What is in the trial's directory before the task starts.
    public struct Setup: Sendable, Hashable {
        public var directories: [String]
        public var files: [SetupFile]
        /// Executables written to `bin/`, which the task finds first on PATH.
        public var tools: [Tool]

        public init(directories: [String] = [], files: [SetupFile] = [], tools: [Tool] = []) {
            self.directories = directories
            self.files = files
            self.tools = tools
        }
    }

    /// One file of the setup.
    public struct SetupFile: Sendable, Hashable {
        public var path: String
        public var bytes: Bytes
        /// Permission bits; 0o644 unless given.
        public var mode: UInt32

        public init(path: String, bytes: Bytes, mode: UInt32 = 0o644) {
            self.path = path
            self.bytes = bytes
            self.mode = mode
        }
    }

    /// An executable in the trial's `bin/`.
    public struct Tool: Sendable, Hashable {
        public var name: String
        /// The script's text, including its `#!` line.
        public var script: String

        public init(name: String, script: String) {
            self.name = name
            self.script = script
        }
    }

    /// Bytes, as a scenario writes them: literal text, a size of filler, or seeded random bytes.
    public enum Bytes: Sendable, Hashable {
        case text(String)
        /// `size` bytes of a repeating printable pattern (so a partial file is easy to see).
        case filler(size: Int)
        case random(size: Int, seed: UInt64)

        /// The bytes themselves.
        public func materialize() -> [UInt8] {
            switch self {
            case .text(let text): Array(text.utf8)
            case .filler(let size): (0..<size).map { UInt8(ascii: "a") + UInt8($0 % 26) }
            case .random(let size, let seed): SeededBytes.generate(count: size, seed: seed)
            }
        }
    }

    /// The fault rules and when they are armed.
    public struct Faults: Sendable {
        /// The rules as the engine reads them (validated by `Plan.parse`), paths relative to the trial's directory.
        public var rules: [FaultRule]
        /// The same rules as written, so the runner can scope each one to a
        /// trial (its `path` under the trial's directory, its `name` unique)
        /// and arm exactly the plan format, without a second rule model.
        public var sources: [PlanValue]
        public var arm: ArmTime

        public init(rules: [FaultRule] = [], sources: [PlanValue] = [], arm: ArmTime = .beforeTask) {
            self.rules = rules
            self.sources = sources
            self.arm = arm
        }
    }

    /// When a scenario's rules are armed.
    public enum ArmTime: Sendable, Hashable {
        /// Before the executor starts: `arm` has answered when it is spawned.
        case beforeTask
        /// This many nanoseconds after the executor started (the rules' own `after` window).
        case after(nanoseconds: UInt64)
        /// After the task's first N calls of each rule's operations on its
        /// paths: every rule leaves its first N matching calls alone (its
        /// `skip`), so the fault starts partway through the task.
        case afterCalls(UInt64)
    }

    /// The correct final state, and the other states that count as consistent.
    public struct Expectation: Sendable, Hashable {
        /// The state a correct run leaves.
        public var correct: State
        /// Other states that are not what was asked but leave nothing damaged
        /// ("the old content intact"), each with a name for the reports.
        public var consistent: [NamedState]

        public init(correct: State, consistent: [NamedState] = []) {
            self.correct = correct
            self.consistent = consistent
        }
    }

    public struct NamedState: Sendable, Hashable {
        public var name: String
        public var state: State
        public init(name: String, state: State) {
            self.name = name
            self.state = state
        }
    }

    /// A set of conditions on paths of the trial's directory.
    public struct State: Sendable, Hashable {
        public var files: [FileCondition]
        /// Paths (globs) that must not exist.
        public var absent: [String]

        public init(files: [FileCondition] = [], absent: [String] = []) {
            self.files = files
            self.absent = absent
        }
    }

    /// What must hold for one file.
    public struct FileCondition: Sendable, Hashable {
        public var path: String
        public var checks: [Check]
        public init(path: String, checks: [Check]) {
            self.path = path
            self.checks = checks
        }
    }

    /// One check on a file's bytes. A file condition with no checks only requires the file to exist.
    public enum Check: Sendable, Hashable {
        /// Exactly these bytes (text, filler or seeded random, as in the setup).
        case bytes(Bytes)
        case sha256(String)
        case minimumSize(Int)
        /// The bytes parse as this format: json, yaml or csv.
        case format(String)
        /// The file has its setup content, byte for byte.
        case unchanged
    }

    /// Regression thresholds for the CI gate (the results document's type).
    public typealias Thresholds = Results.Thresholds
}

extension Scenario {
    /// Whether a trial of this scenario must have the mount to itself. A
    /// power loss undoes every unsynced write of the whole mount, as a real
    /// one would, so a concurrent trial would lose data to a fault that is
    /// not its own.
    public var needsMountAlone: Bool {
        faults.rules.contains { rule in
            switch rule.fault {
            case .powerLoss: true
            // What statfs reports is the whole mount's: every trial beside it would see the small disk.
            case .diskFull(_, let capacity?): capacity >= 0
            default: false
            }
        }
    }
}
