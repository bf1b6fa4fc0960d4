import Crypto
import ExecutorContract
import FaultEngine
import Foundation
import Results
import Yams

/// Turns one scenario file's text into a `Scenario`, checking every field
/// and naming the line of the first bad one (format: docs/SCENARIOS.md).
struct ScenarioParser {
    /// The name used in error messages (the path as given).
    let file: String

    static let topFields = [
        "id", "title", "description", "patterns", "setup", "task", "faults", "expect",
        "timeout", "trials", "rerun", "thresholds",
    ]
    static let patternIDs = ["EXEC-001", "EXEC-002", "EXEC-003", "EXEC-004", "PATTERN-001", "PATTERN-002", "PATTERN-003"]
    static let defaultTimeout = 10.0
    static let defaultReruns = 3

    func parse(_ bytes: [UInt8], defaultID: String) throws(ScenarioError) -> Scenario {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ScenarioError(file: file, field: "", message: "the file is not UTF-8 text; save it as UTF-8.")
        }
        let root = try compose(text)
        let top = try fields(root, "", allowed: Self.topFields, required: ["title", "description", "patterns", "task", "expect"], what: "a scenario")

        let id: String
        if let node = top["id"] {
            id = try string(node, "id")
            if id.contains(where: \.isWhitespace) {
                throw fail(node, "id", "\(id) contains white space; write an id like exec-004/disk-full-midway.")
            }
        } else {
            id = defaultID
        }
        let title = try string(top["title"]!, "title")
        let description = try string(top["description"]!, "description")
        let patterns = try patternList(top["patterns"]!)
        let setup = try top["setup"].map { n throws(ScenarioError) in try self.setup(n) } ?? Scenario.Setup()
        var task = try self.task(top["task"]!)
        task.patterns = patterns
        let faults = try top["faults"].map { n throws(ScenarioError) in try self.faults(n) } ?? Scenario.Faults()
        let expect = try expectation(top["expect"]!, setup: setup)
        let timeout = try top["timeout"].map { n throws(ScenarioError) in try seconds(n, "timeout") } ?? Self.defaultTimeout
        let trials = try top["trials"].map { n throws(ScenarioError) in try integer(n, "trials", in: 1...ScenarioLimits.maximumTrials) }
        let rerun = try self.rerun(top["rerun"], pattern: patterns[0])
        let thresholds = try top["thresholds"].map { n throws(ScenarioError) in try self.thresholds(n) }

        let digest = SHA256.hash(data: bytes).map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
        return Scenario(id: id, title: title, description: description, patterns: patterns, setup: setup, task: task,
                        faults: faults, expect: expect, timeout: timeout, trials: trials, rerun: rerun,
                        thresholds: thresholds, file: file, sha256: digest)
    }

    func compose(_ text: String) throws(ScenarioError) -> Node {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let yamlError as YamlError {
            switch yamlError {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
                throw ScenarioError(file: file, line: mark.line, field: "", message: "the file is not valid YAML: \(problem).")
            case .duplicatedKeysInMapping(let duplicates, let context):
                let names = Array(Set(duplicates)).sorted().map { "`\($0)`" }.joined(separator: ", ")
                throw ScenarioError(file: file, line: context.mark.line, field: "",
                                    message: "the file is not valid YAML: \(names) is given twice in one mapping; keep one.")
            default:
                let first = "\(yamlError)".split(separator: "\n").first.map(String.init) ?? "unreadable"
                throw ScenarioError(file: file, field: "", message: "the file is not valid YAML: \(first).")
            }
        } catch {
            let first = "\(error)".split(separator: "\n").first.map(String.init) ?? "unreadable"
            throw ScenarioError(file: file, field: "", message: "the file is not valid YAML: \(first).")
        }
        guard let root else {
            throw ScenarioError(file: file, field: "", message: "the file is empty; a scenario needs title, description, patterns, task and expect.")
        }
        return root
    }

    // MARK: Patterns, setup

    private func patternList(_ node: Node) throws(ScenarioError) -> [String] {
        let items = try strings(node, "patterns")
        guard !items.isEmpty else {
            throw fail(node, "patterns", "is empty; name at least one pattern such as EXEC-004.")
        }
        var seen: Set<String> = []
        for (index, (name, item)) in items.enumerated() {
            guard Self.patternIDs.contains(name) else {
                throw fail(item, "patterns[\(index)]", "\(name) is not a pattern ID; use \(Self.patternIDs.joined(separator: ", ")).")
            }
            guard seen.insert(name).inserted else {
                throw fail(item, "patterns[\(index)]", "\(name) is listed twice; name each pattern once.")
            }
        }
        return items.map(\.0)
    }

    private func setup(_ node: Node) throws(ScenarioError) -> Scenario.Setup {
        let top = try fields(node, "setup", allowed: ["dirs", "files", "tools"], what: "a setup")
        var setup = Scenario.Setup()
        var taken: Set<String> = []
        func claim(_ path: String, _ item: Node, _ field: String) throws(ScenarioError) {
            let normal = path.split(separator: "/").joined(separator: "/")
            guard taken.insert(normal).inserted else {
                throw fail(item, field, "\(path) is set up twice; give each path once.")
            }
        }
        if let dirs = top["dirs"] {
            for (index, (_, item)) in try strings(dirs, "setup.dirs").enumerated() {
                let path = try relativePath(item, "setup.dirs[\(index)]")
                try claim(path, item, "setup.dirs[\(index)]")
                setup.directories.append(path)
            }
        }
        if let files = top["files"] {
            for (index, item) in try list(files, "setup.files", of: "file").enumerated() {
                let field = "setup.files[\(index)]"
                let entry = try fields(item, field, allowed: ["path", "content", "size", "random", "mode"], required: ["path"], what: "a setup file")
                let path = try relativePath(entry["path"]!, "\(field).path")
                try claim(path, entry["path"]!, "\(field).path")
                let bytes = try self.bytes(entry, field, what: "a setup file")
                let mode = try entry["mode"].map { n throws(ScenarioError) in try self.mode(n, "\(field).mode") } ?? 0o644
                setup.files.append(Scenario.SetupFile(path: path, bytes: bytes, mode: mode))
            }
        }
        if let tools = top["tools"] {
            for (index, item) in try list(tools, "setup.tools", of: "tool").enumerated() {
                let field = "setup.tools[\(index)]"
                let entry = try fields(item, field, allowed: ["name", "script"], required: ["name", "script"], what: "a tool")
                let nameNode = entry["name"]!
                let name = try string(nameNode, "\(field).name")
                guard !name.contains("/"), name != ".", name != "..", !name.contains("\u{0}") else {
                    throw fail(nameNode, "\(field).name", "\(name) is not a file name; write the command's name only, e.g. render.")
                }
                try claim("bin/" + name, nameNode, "\(field).name")
                let script = try string(entry["script"]!, "\(field).script")
                guard script.hasPrefix("#!") else {
                    throw fail(entry["script"]!, "\(field).script", "does not start with a `#!` line; begin the script with #!/bin/sh.")
                }
                setup.tools.append(Scenario.Tool(name: name, script: script))
            }
        }
        return setup
    }

    /// Exactly one of `content`, `size` or `random` (the bytes of a setup file or an expected file).
    func bytes(_ entry: Fields, _ field: String, what: String, required: Bool = true) throws(ScenarioError) -> Scenario.Bytes {
        let given = ["content", "size", "random"].filter { entry[$0] != nil }
        guard given.count == 1 else {
            throw fail(given.count > 1 ? entry[given[1]] : entry.node, field.isEmpty ? "content" : "\(field).\(given.count > 1 ? given[1] : "content")",
                       "give exactly one of content, size or random for \(what).")
        }
        return try bytesValue(given[0], entry[given[0]]!, "\(field).\(given[0])")
    }

    func bytesValue(_ key: String, _ node: Node, _ field: String) throws(ScenarioError) -> Scenario.Bytes {
        switch key {
        case "content":
            return .text(try string(node, field, nonEmpty: false))
        case "size":
            return .filler(size: try integer(node, field, in: 0...ScenarioLimits.maximumSize))
        default:
            let random = try fields(node, field, allowed: ["size", "seed"], required: ["size", "seed"], what: "a random-bytes entry")
            return .random(size: try integer(random["size"]!, "\(field).size", in: 0...ScenarioLimits.maximumSize),
                           seed: try seed(random["seed"]!, "\(field).seed"))
        }
    }

    // MARK: Run settings

    /// The seed's minutes per failure of each pattern, at the midpoint of the
    /// seed's range (../shared/seed/patterns-facts.md), in seconds.
    static let recoveryCostDefaults: [String: Double] = [
        "EXEC-001": 45,        // 30-60 s
        "EXEC-002": 90,        // 60-120 s
        "EXEC-003": 135,       // 90-180 s
        "EXEC-004": 210,       // 2-5 min
        "PATTERN-001": 45,     // 30-60 s
        "PATTERN-002": 210,    // 120-300 s
        "PATTERN-003": 12.5,   // 10-15 s
    ]

    private func rerun(_ node: Node?, pattern: String) throws(ScenarioError) -> RerunPolicy {
        var policy = RerunPolicy(max: Self.defaultReruns, recoveryCost: Self.recoveryCostDefaults[pattern] ?? 60)
        guard let node else { return policy }
        let entry = try fields(node, "rerun", allowed: ["max", "recovery-cost"], what: "a rerun policy")
        if let n = entry["max"] { policy.max = try integer(n, "rerun.max", in: 0...ScenarioLimits.maximumReruns) }
        if let n = entry["recovery-cost"] { policy.recoveryCost = try seconds(n, "rerun.recovery-cost", allowZero: true) }
        return policy
    }

    private func thresholds(_ node: Node) throws(ScenarioError) -> Scenario.Thresholds {
        let entry = try fields(node, "thresholds", allowed: ["prevention-drop", "time-worse"], what: "thresholds")
        var result = Scenario.Thresholds()
        if let n = entry["prevention-drop"] { result.preventionDrop = try number(n, "thresholds.prevention-drop", in: 0...1) }
        if let n = entry["time-worse"] { result.timeWorse = try number(n, "thresholds.time-worse", in: 0...1000) }
        return result
    }
}
