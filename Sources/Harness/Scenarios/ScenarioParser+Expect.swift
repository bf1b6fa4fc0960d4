import Yams

/// `expect:` — the correct final state and the other consistent ones.
extension ScenarioParser {
    static let stateFields = ["files", "absent"]
    static let fileCheckFields = ["path", "content", "size", "random", "sha256", "min-size", "format", "unchanged"]
    static let formats = ["json", "yaml", "csv"]

    func expectation(_ node: Node, setup: Scenario.Setup) throws(ScenarioError) -> Scenario.Expectation {
        let entry = try fields(node, "expect", allowed: Self.stateFields + ["consistent"], what: "an expectation")
        let correct = try state(entry, "expect", setup: setup)
        if correct.files.isEmpty && correct.absent.isEmpty {
            throw fail(node, "expect.files", "is missing; say what a correct run leaves, with files (and absent).")
        }
        var consistent: [Scenario.NamedState] = []
        if let list = entry["consistent"] {
            var names: Set<String> = []
            for (index, item) in try self.list(list, "expect.consistent", of: "state").enumerated() {
                let field = "expect.consistent[\(index)]"
                let named = try fields(item, field, allowed: ["name"] + Self.stateFields, required: ["name"], what: "a consistent state")
                let name = try string(named["name"]!, "\(field).name")
                guard names.insert(name).inserted else {
                    throw fail(named["name"]!, "\(field).name", "\(name) names an earlier state too; give each state its own name.")
                }
                let state = try self.state(named, field, setup: setup)
                if state.files.isEmpty && state.absent.isEmpty {
                    throw fail(item, "\(field).files", "is missing; say what this state leaves, with files (and absent).")
                }
                consistent.append(Scenario.NamedState(name: name, state: state))
            }
        }
        return Scenario.Expectation(correct: correct, consistent: consistent)
    }

    private func state(_ entry: Fields, _ field: String, setup: Scenario.Setup) throws(ScenarioError) -> Scenario.State {
        var state = Scenario.State()
        if let files = entry["files"] {
            var seen: Set<String> = []
            for (index, item) in try list(files, "\(field).files", of: "file").enumerated() {
                let condition = try fileCondition(item, "\(field).files[\(index)]", setup: setup)
                guard seen.insert(condition.path).inserted else {
                    throw fail(item, "\(field).files[\(index)].path", "\(condition.path) is listed twice; put all checks of a file in one entry.")
                }
                state.files.append(condition)
            }
        }
        if let absent = entry["absent"] {
            for (index, (_, item)) in try strings(absent, "\(field).absent").enumerated() {
                state.absent.append(try relativePath(item, "\(field).absent[\(index)]", glob: true))
            }
        }
        return state
    }

    private func fileCondition(_ node: Node, _ field: String, setup: Scenario.Setup) throws(ScenarioError) -> Scenario.FileCondition {
        let entry = try fields(node, field, allowed: Self.fileCheckFields, required: ["path"], what: "a file check")
        let path = try relativePath(entry["path"]!, "\(field).path")
        var checks: [Scenario.Check] = []
        let exact = ["content", "size", "random", "sha256", "unchanged"].filter { entry[$0] != nil }
        if exact.count > 1 {
            throw fail(entry[exact[1]], "\(field).\(exact[1])", "give at most one of content, size, random, sha256 or unchanged; each fixes every byte.")
        }
        for key in entry.order {
            let value = entry[key]!
            let name = "\(field).\(key)"
            switch key {
            case "content", "size", "random":
                checks.append(.bytes(try bytesValue(key, value, name)))
            case "sha256":
                let digest = try string(value, name).lowercased()
                guard digest.count == 64, digest.allSatisfy({ $0.isHexDigit }) else {
                    throw fail(value, name, "\(describe(value)) is not a SHA-256; write 64 hex digits (sha256sum prints them).")
                }
                checks.append(.sha256(digest))
            case "min-size":
                checks.append(.minimumSize(try integer(value, name, in: 0...ScenarioLimits.maximumSize)))
            case "format":
                let format = try string(value, name)
                guard Self.formats.contains(format) else {
                    throw fail(value, name, "\(format) is not a format; use json, yaml or csv.")
                }
                checks.append(.format(format))
            case "unchanged":
                guard try bool(value, name) else {
                    throw fail(value, name, "false says nothing; remove it, or give the expected content.")
                }
                let normal = path.split(separator: "/").joined(separator: "/")
                guard setup.files.contains(where: { $0.path.split(separator: "/").joined(separator: "/") == normal }) else {
                    throw fail(value, name, "\(path) is not a setup file, so it has no content to keep; add it under setup.files or give content.")
                }
                checks.append(.unchanged)
            default:
                break
            }
        }
        return Scenario.FileCondition(path: path, checks: checks)
    }
}
