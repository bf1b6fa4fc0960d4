/// A task: what an executor is asked to do, as the JSON object it reads on
/// standard input. Every kind is defined once, in docs/TASKS.md, with the
/// code of both built-in arms side by side.
///
/// Paths are relative to the trial's directory (the executor's working
/// directory). `patterns` names the patterns the pattern-on arm applies; the
/// pattern-off arm ignores it.
public struct TaskSpec: Codable, Sendable, Hashable {
    /// The task kind and its parameters.
    public var work: Work
    /// The pattern IDs the pattern-on arm applies (the scenario's `patterns`).
    public var patterns: [String]

    public init(_ work: Work, patterns: [String] = []) {
        self.work = work
        self.patterns = patterns
    }

    /// The kinds of task.
    public enum Work: Sendable, Hashable {
        case writeFile(WriteFile)
        case readConfig(ReadConfig)
        case batch(Batch)
        case runTools(RunTools)
        case planningLoop(PlanningLoop)

        /// The kind's name in JSON (`"kind"`).
        public var kind: String {
            switch self {
            case .writeFile: "write-file"
            case .readConfig: "read-config"
            case .batch: "batch"
            case .runTools: "run-tools"
            case .planningLoop: "planning-loop"
            }
        }
    }

    /// Bytes a task writes: inline text, base64, or seeded random bytes.
    public struct Content: Codable, Sendable, Hashable {
        public var text: String?
        public var base64: String?
        public var generate: Generate?

        public struct Generate: Codable, Sendable, Hashable {
            public var size: Int
            public var seed: UInt64
            public init(size: Int, seed: UInt64) { self.size = size; self.seed = seed }
        }

        public init(text: String? = nil, base64: String? = nil, generate: Generate? = nil) {
            self.text = text
            self.base64 = base64
            self.generate = generate
        }
    }

    /// `write-file`: write or replace one file (EXEC-004, PATTERN-002).
    public struct WriteFile: Codable, Sendable, Hashable {
        public var path: String
        public var content: Content
        /// Bytes per write() call; default 65536.
        public var chunk: Int?
        public init(path: String, content: Content, chunk: Int? = nil) {
            self.path = path
            self.content = content
            self.chunk = chunk
        }
    }

    /// `read-config`: read and parse a configuration or data file, and write
    /// the selected values to `output` as JSON (EXEC-001).
    public struct ReadConfig: Codable, Sendable, Hashable {
        public var path: String
        /// `json`, `yaml`, `csv`, or nil to go by the extension.
        public var format: String?
        /// Dotted key paths to select (`server.port`); for CSV, column names.
        public var select: [String]
        /// Required type per selected key: `string`, `integer`, `number`, `boolean`, `object`, `array`.
        public var types: [String: String]?
        public var output: String
        public init(path: String, format: String? = nil, select: [String], types: [String: String]? = nil, output: String) {
            self.path = path
            self.format = format
            self.select = select
            self.types = types
            self.output = output
        }
    }

    /// `batch`: reads, writes, copies, moves and deletes that belong together (EXEC-002).
    public struct Batch: Codable, Sendable, Hashable {
        public var operations: [Operation]
        public init(operations: [Operation]) { self.operations = operations }

        public struct Operation: Codable, Sendable, Hashable {
            /// `read`, `write`, `copy`, `move` or `delete`.
            public var op: String
            public var path: String
            /// The destination of a copy or move.
            public var to: String?
            /// The bytes of a write.
            public var content: Content?
            public init(op: String, path: String, to: String? = nil, content: Content? = nil) {
                self.op = op
                self.path = path
                self.to = to
                self.content = content
            }
        }
    }

    /// `run-tools`: run tools found on PATH (the trial's `bin/` first) and
    /// write each one's standard output to a file (EXEC-003).
    public struct RunTools: Codable, Sendable, Hashable {
        public var steps: [Step]
        /// Seconds one tool may run; default 10.
        public var timeout: Double?
        public init(steps: [Step], timeout: Double? = nil) {
            self.steps = steps
            self.timeout = timeout
        }

        public struct Step: Codable, Sendable, Hashable {
            public var tool: String
            public var args: [String]?
            /// Where the tool's standard output goes; nil discards it.
            public var output: String?
            /// The lowest version the tool must report with `--version`.
            public var minimumVersion: String?
            public init(tool: String, args: [String]? = nil, output: String? = nil, minimumVersion: String? = nil) {
                self.tool = tool
                self.args = args
                self.output = output
                self.minimumVersion = minimumVersion
            }
            enum CodingKeys: String, CodingKey {
                case tool, args, output
                case minimumVersion = "minimum-version"
            }
        }
    }

    /// `planning-loop`: refine a plan read from a state file until it
    /// converges or the loop must give up (PATTERN-001).
    public struct PlanningLoop: Codable, Sendable, Hashable {
        /// The state file, read on every iteration.
        public var state: String
        /// Where the converged plan is written.
        public var output: String
        /// The pattern-on arm's limit on iterations; default 50.
        public var maxIterations: Int?
        /// The pattern-on arm's limit on wall time, in seconds; default 5.
        public var budget: Double?
        /// Seconds both arms wait between iterations, as a planner that polls
        /// its state does; default 0 (no wait).
        public var interval: Double?
        public init(state: String, output: String, maxIterations: Int? = nil, budget: Double? = nil, interval: Double? = nil) {
            self.state = state
            self.output = output
            self.maxIterations = maxIterations
            self.budget = budget
            self.interval = interval
        }
        enum CodingKeys: String, CodingKey {
            case state, output, budget, interval
            case maxIterations = "max-iterations"
        }
    }
}

extension TaskSpec {
    enum CodingKeys: String, CodingKey { case kind, patterns }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        patterns = try container.decodeIfPresent([String].self, forKey: .patterns) ?? []
        let kind = try container.decode(String.self, forKey: .kind)
        switch kind {
        case "write-file": work = .writeFile(try WriteFile(from: decoder))
        case "read-config": work = .readConfig(try ReadConfig(from: decoder))
        case "batch": work = .batch(try Batch(from: decoder))
        case "run-tools": work = .runTools(try RunTools(from: decoder))
        case "planning-loop": work = .planningLoop(try PlanningLoop(from: decoder))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: container,
                debugDescription: "'\(kind)' is not a task kind; use write-file, read-config, batch, run-tools or planning-loop.")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(work.kind, forKey: .kind)
        if !patterns.isEmpty { try container.encode(patterns, forKey: .patterns) }
        switch work {
        case .writeFile(let task): try task.encode(to: encoder)
        case .readConfig(let task): try task.encode(to: encoder)
        case .batch(let task): try task.encode(to: encoder)
        case .runTools(let task): try task.encode(to: encoder)
        case .planningLoop(let task): try task.encode(to: encoder)
        }
    }
}
