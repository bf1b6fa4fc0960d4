import ExecutorContract
import Foundation
import Yams

/// `task:` — the YAML node becomes the task's JSON object and is decoded as
/// a `TaskSpec`, exactly as an executor will decode it; a decoding error is
/// mapped back to the field and line.
extension ScenarioParser {
    /// The fields of each task kind, for the message about an unknown key.
    /// Unknown keys are found by a round trip through `TaskSpec`, so a field
    /// added to TaskSpec is accepted without a change here; add it here too
    /// so the message lists it.
    static let taskFields: [String: [String]] = [
        "write-file": ["kind", "path", "content", "chunk"],
        "read-config": ["kind", "path", "format", "select", "types", "output"],
        "batch": ["kind", "operations"],
        "run-tools": ["kind", "steps", "timeout"],
        "planning-loop": ["kind", "state", "output", "max-iterations", "budget"],
    ]
    static let nestedFields: [String: [String]] = [
        "content": ["text", "base64", "generate"],
        "generate": ["size", "seed"],
        "operations": ["op", "path", "to", "content"],
        "steps": ["tool", "args", "output", "minimum-version"],
    ]

    func task(_ node: Node) throws(ScenarioError) -> TaskSpec {
        guard let mapping = node.mapping else {
            throw fail(node, "task", "\(describe(node)) is not a task; write a mapping with `kind:` and its parameters (docs/TASKS.md).")
        }
        if let pair = mapping.first(where: { $0.key.string == "patterns" }) {
            throw fail(pair.key, "task.patterns", "is filled in from the scenario's `patterns`; remove it from the task.")
        }
        var forcedText: Set<[String]> = []
        // A plain scalar such as 80 is a number in JSON; where TaskSpec wants
        // text (a tool's argument), the decode is retried with it as text.
        for _ in 0..<256 {
            let json = try jsonValue(node, path: [], forcedText: forcedText)
            do {
                let data = Data(json.text.utf8)
                let task = try JSONDecoder().decode(TaskSpec.self, from: data)
                try checkKnownKeys(json, task: task, node: node)
                try validate(task, node: node)
                return task
            } catch let error as ScenarioError {
                throw error
            } catch let error as DecodingError {
                if case .typeMismatch(let type, let context) = error, type == String.self,
                   let target = self.node(at: context.codingPath.map(keyName), in: node), target.scalar != nil,
                   forcedText.insert(context.codingPath.map(keyName)).inserted {
                    continue
                }
                if case .dataCorrupted(let context) = error, context.codingPath.isEmpty,
                   let (path, literal) = numberOutOfRange(json) {
                    let (target, field) = locate(path, in: node)
                    throw fail(target, field, numberProblem(literal))
                }
                throw decodingProblem(error, node: node)
            } catch {
                throw fail(node, "task", "cannot be decoded: \(error).")
            }
        }
        throw fail(node, "task", "has too many values to read; keep a task small.")
    }

    /// JSONDecoder reports a number its field cannot hold (a fraction for a
    /// whole number, a negative seed, 1e400) as invalid JSON with no path;
    /// the culprit is the number whose replacement by 0 makes that error go.
    private func numberOutOfRange(_ json: JSONValue) -> ([String], String)? {
        var numbers: [([String], String)] = []
        func collect(_ value: JSONValue, _ path: [String]) {
            switch value {
            case .number(let literal): numbers.append((path, literal))
            case .array(let items): for (index, item) in items.enumerated() { collect(item, path + ["[\(index)]"]) }
            case .object(let entries): for (key, item) in entries { collect(item, path + [key]) }
            default: break
            }
        }
        collect(json, [])
        for (path, literal) in numbers {
            let replaced = Self.replacing(json, at: path[...], with: .number("0"))
            do {
                _ = try JSONDecoder().decode(TaskSpec.self, from: Data(replaced.text.utf8))
                return (path, literal)
            } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
                continue
            } catch {
                return (path, literal)
            }
        }
        return nil
    }

    private static func replacing(_ value: JSONValue, at path: ArraySlice<String>, with new: JSONValue) -> JSONValue {
        guard let first = path.first else { return new }
        switch value {
        case .array(var items):
            if let index = Int(first.dropFirst().dropLast()), items.indices.contains(index) {
                items[index] = replacing(items[index], at: path.dropFirst(), with: new)
            }
            return .array(items)
        case .object(var entries):
            if let index = entries.firstIndex(where: { $0.0 == first }) {
                entries[index].1 = replacing(entries[index].1, at: path.dropFirst(), with: new)
            }
            return .object(entries)
        default:
            return value
        }
    }

    private func numberProblem(_ literal: String) -> String {
        if literal.contains(where: { $0 == "." || $0 == "e" }) {
            return "\(literal) is not a whole number, or is too large; write a whole number such as 4096."
        }
        if literal.hasPrefix("-") {
            return "\(literal) is negative; write a whole number of 0 or more."
        }
        return "\(literal) is too large; write a whole number below 2^63 (2^64 for a seed)."
    }

    private func keyName(_ key: any CodingKey) -> String {
        key.intValue.map { "[\($0)]" } ?? key.stringValue
    }

    /// The node at a coding path (`["steps", "[1]", "args", "[0]"]`).
    private func node(at path: [String], in root: Node) -> Node? {
        var node = root
        for component in path {
            if component.hasPrefix("["), let index = Int(component.dropFirst().dropLast()) {
                guard let sequence = node.sequence, sequence.indices.contains(index) else { return nil }
                node = sequence[index]
            } else {
                guard let mapping = node.mapping, let value = mapping[component] else { return nil }
                node = value
            }
        }
        return node
    }

    private func fieldName(_ path: [String]) -> String {
        path.reduce("task") { $1.hasPrefix("[") ? $0 + $1 : $0 + "." + $1 }
    }

    /// The deepest node on the path that exists, and the field name.
    private func locate(_ path: [String], in root: Node) -> (Node, String) {
        var best = root
        for length in stride(from: path.count, through: 0, by: -1) {
            if let found = node(at: Array(path.prefix(length)), in: root) { best = found; break }
        }
        return (best, fieldName(path))
    }

    private func decodingProblem(_ error: DecodingError, node root: Node) -> ScenarioError {
        switch error {
        case .keyNotFound(let key, let context):
            let (node, field) = locate(context.codingPath.map(keyName), in: root)
            let name = field + "." + key.stringValue
            if key.stringValue == "kind" {
                return fail(node, name, "is missing; name the task kind: write-file, read-config, batch, run-tools or planning-loop.")
            }
            return fail(node, name, "is missing; this task needs it (docs/TASKS.md).")
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            let (node, field) = locate(context.codingPath.map(keyName), in: root)
            if let scalar = node.scalar, scalar.style != .plain, scalar.style != .any, Self.jsonNumber(scalar.string) != nil {
                return fail(node, field, "'\(scalar.string)' is quoted, so it is text; write the number without quotes.")
            }
            return fail(node, field, "\(describe(node)) is not \(typeName(type)); write \(example(type)).")
        case .dataCorrupted(let context):
            let (node, field) = locate(context.codingPath.map(keyName), in: root)
            if context.debugDescription.hasPrefix("'") { return fail(node, field, context.debugDescription) }
            return fail(node, field, "\(describe(node)) is out of range or malformed; write a smaller whole number or valid value.")
        @unknown default:
            return fail(root, "task", "cannot be decoded: \(error).")
        }
    }

    private func example(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a single value"
        case is Int.Type, is UInt64.Type: "one like 4096"
        case is Double.Type: "one like 2 or 0.5"
        case is Bool.Type: "true or false"
        default: String(describing: type).hasPrefix("Array") ? "a list, [a, b]" : "a mapping, {key: value}"
        }
    }

    private func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "text"
        case is Int.Type, is UInt64.Type: "a whole number in range"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        default:
            String(describing: type).hasPrefix("Array") ? "a list" : "a mapping"
        }
    }

    // MARK: Unknown keys

    /// Every key of the YAML must survive a decode and re-encode: a key the
    /// TaskSpec does not know is dropped by the decoder, and caught here.
    private func checkKnownKeys(_ json: JSONValue, task: TaskSpec, node: Node) throws(ScenarioError) {
        guard let data = try? JSONEncoder().encode(task), let back = try? JSONSerialization.jsonObject(with: data) else { return }
        try compare(json, back, path: [], root: node, kind: task.work.kind)
    }

    private func compare(_ written: JSONValue, _ decoded: Any, path: [String], root: Node, kind: String) throws(ScenarioError) {
        switch written {
        case .object(let entries):
            let keys = (decoded as? [String: Any]) ?? [:]
            // `types` is a map of the user's own keys.
            if path.last == "types" { return }
            for (key, value) in entries {
                if case .null = value { continue }
                guard let inner = keys[key] else {
                    let allowed = (path.isEmpty ? Self.taskFields[kind] : Self.nestedFields[path.last(where: { !$0.hasPrefix("[") }) ?? ""]) ?? []
                    let keyNode = self.node(at: path, in: root)?.mapping?.first(where: { $0.key.string == key })?.key
                    let what = path.isEmpty ? "a \(kind) task" : "this part of the task"
                    throw fail(keyNode ?? root, fieldName(path + [key]),
                               "is not a field of \(what); use \(allowed.joined(separator: ", ")).")
                }
                try compare(value, inner, path: path + [key], root: root, kind: kind)
            }
        case .array(let items):
            let back = (decoded as? [Any]) ?? []
            for (index, item) in items.enumerated() where index < back.count {
                try compare(item, back[index], path: path + ["[\(index)]"], root: root, kind: kind)
            }
        default:
            break
        }
    }

    // MARK: Ranges and paths

    private func validate(_ task: TaskSpec, node root: Node) throws(ScenarioError) {
        func at(_ path: [String]) -> (Node, String) { locate(path, in: root) }
        func path(_ value: String, _ field: [String]) throws(ScenarioError) {
            let (node, _) = at(field)
            _ = try relativePath(node, fieldName(field))
            _ = value
        }
        func content(_ content: TaskSpec.Content, _ field: [String]) throws(ScenarioError) {
            let given = [content.text != nil, content.base64 != nil, content.generate != nil].filter { $0 }.count
            guard given == 1 else {
                let (node, name) = at(field)
                throw fail(node, name, "give exactly one of text, base64 or generate: {size: N, seed: S}.")
            }
            if let base64 = content.base64, Data(base64Encoded: base64) == nil {
                let (node, name) = at(field + ["base64"])
                throw fail(node, name, "is not base64; encode the bytes with `base64 -w0`.")
            }
            if let generate = content.generate {
                guard (0...ScenarioLimits.maximumSize).contains(generate.size) else {
                    let (node, name) = at(field + ["generate", "size"])
                    throw fail(node, name, "\(generate.size) is not a size from 0 to \(ScenarioLimits.maximumSize) bytes.")
                }
            }
        }
        func positive(_ value: Double?, _ field: [String], upTo limit: Double) throws(ScenarioError) {
            guard let value else { return }
            guard value.isFinite, value > 0, value <= limit else {
                let (node, name) = at(field)
                throw fail(node, name, "\(describe(node)) is not a number of seconds above 0 and at most \(Int(limit)).")
            }
        }
        switch task.work {
        case .writeFile(let write):
            try path(write.path, ["path"])
            try content(write.content, ["content"])
            if let chunk = write.chunk, !(1...ScenarioLimits.maximumSize).contains(chunk) {
                let (node, name) = at(["chunk"])
                throw fail(node, name, "\(chunk) is not a byte count from 1 to \(ScenarioLimits.maximumSize); write one like 4096.")
            }
        case .readConfig(let read):
            try path(read.path, ["path"])
            try path(read.output, ["output"])
            if let format = read.format, !["json", "yaml", "csv"].contains(format) {
                let (node, name) = at(["format"])
                throw fail(node, name, "\(format) is not a format; use json, yaml or csv, or leave it out to go by the extension.")
            }
            if read.select.isEmpty {
                let (node, name) = at(["select"])
                throw fail(node, name, "is empty; name at least one key to select, such as server.port.")
            }
            let typeNames = ["string", "integer", "number", "boolean", "object", "array"]
            for (key, type) in (read.types ?? [:]).sorted(by: { $0.key < $1.key }) where !typeNames.contains(type) {
                let (node, name) = at(["types", key])
                throw fail(node, name, "\(type) is not a type; use \(typeNames.joined(separator: ", ")).")
            }
        case .batch(let batch):
            if batch.operations.isEmpty {
                let (node, name) = at(["operations"])
                throw fail(node, name, "is empty; list at least one operation.")
            }
            for (index, operation) in batch.operations.enumerated() {
                let base = ["operations", "[\(index)]"]
                guard ["read", "write", "copy", "move", "delete"].contains(operation.op) else {
                    let (node, name) = at(base + ["op"])
                    throw fail(node, name, "\(operation.op) is not an operation; use read, write, copy, move or delete.")
                }
                try path(operation.path, base + ["path"])
                if ["copy", "move"].contains(operation.op) {
                    guard let to = operation.to else {
                        let (node, name) = at(base + ["to"])
                        throw fail(node, name, "is missing; a \(operation.op) needs its destination in `to`.")
                    }
                    try path(to, base + ["to"])
                } else if operation.to != nil {
                    let (node, name) = at(base + ["to"])
                    throw fail(node, name, "is only for copy and move; remove it from a \(operation.op).")
                }
                if operation.op == "write" {
                    guard let bytes = operation.content else {
                        let (node, name) = at(base + ["content"])
                        throw fail(node, name, "is missing; a write needs its content: {text: ...} or {generate: {size: N, seed: S}}.")
                    }
                    try content(bytes, base + ["content"])
                } else if operation.content != nil {
                    let (node, name) = at(base + ["content"])
                    throw fail(node, name, "is only for write; remove it from a \(operation.op).")
                }
            }
        case .runTools(let run):
            if run.steps.isEmpty {
                let (node, name) = at(["steps"])
                throw fail(node, name, "is empty; list at least one step with a `tool:`.")
            }
            try positive(run.timeout, ["timeout"], upTo: ScenarioLimits.maximumSeconds)
            for (index, step) in run.steps.enumerated() {
                let base = ["steps", "[\(index)]"]
                if step.tool.isEmpty || step.tool.contains("/") {
                    let (node, name) = at(base + ["tool"])
                    throw fail(node, name, "\(describe(node)) is not a command name; write the name found on PATH, e.g. render.")
                }
                if let output = step.output { try path(output, base + ["output"]) }
                if let version = step.minimumVersion,
                   version.split(separator: ".", omittingEmptySubsequences: false).contains(where: { Int($0) == nil }) {
                    let (node, name) = at(base + ["minimum-version"])
                    throw fail(node, name, "\(version) is not a version; write dotted whole numbers such as 2.30 or 1.4.2.")
                }
            }
        case .planningLoop(let loop):
            try path(loop.state, ["state"])
            try path(loop.output, ["output"])
            if let max = loop.maxIterations, !(1...1_000_000).contains(max) {
                let (node, name) = at(["max-iterations"])
                throw fail(node, name, "\(max) is not a count from 1 to 1000000; write one like 50.")
            }
            try positive(loop.budget, ["budget"], upTo: ScenarioLimits.maximumSeconds)
        }
    }
}

/// A JSON value built from YAML, with plain scalars typed as YAML 1.2's core
/// schema types them (null, true/false, decimal numbers), quoted ones as text.
indirect enum JSONValue {
    case null
    case bool(Bool)
    /// A number's JSON text.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    var text: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .number(let literal): return literal
        case .string(let value): return Self.quote(value)
        case .array(let items): return "[" + items.map(\.text).joined(separator: ",") + "]"
        case .object(let entries): return "{" + entries.map { Self.quote($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
        }
    }

    static func quote(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension ScenarioParser {
    func jsonValue(_ node: Node, path: [String], forcedText: Set<[String]>) throws(ScenarioError) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            let text = scalar.string
            guard scalar.style == .plain || scalar.style == .any, !forcedText.contains(path) else { return .string(text) }
            switch text {
            case "", "~", "null", "Null", "NULL": return .null
            case "true", "True", "TRUE": return .bool(true)
            case "false", "False", "FALSE": return .bool(false)
            default: break
            }
            if let literal = Self.jsonNumber(text) { return .number(literal) }
            return .string(text)
        case .sequence(let sequence):
            var items: [JSONValue] = []
            for (index, item) in sequence.enumerated() {
                items.append(try jsonValue(item, path: path + ["[\(index)]"], forcedText: forcedText))
            }
            return .array(items)
        case .mapping(let mapping):
            var entries: [(String, JSONValue)] = []
            var seen: Set<String> = []
            for (key, value) in mapping {
                guard let name = key.scalar?.string else { throw fail(key, fieldName(path), "has a key that is not text.") }
                guard seen.insert(name).inserted else { throw fail(key, fieldName(path + [name]), "is given twice; keep one.") }
                entries.append((name, try jsonValue(value, path: path + [name], forcedText: forcedText)))
            }
            return .object(entries)
        case .alias:
            throw fail(node, fieldName(path), "is an alias; write the value out.")
        }
    }

    /// A decimal number's JSON text: digits with an optional sign, fraction
    /// and exponent (leading zeros and a `+` dropped); nil if not a number.
    static func jsonNumber(_ text: String) -> String? {
        var rest = Substring(text)
        var sign = ""
        if rest.first == "-" { sign = "-"; rest = rest.dropFirst() } else if rest.first == "+" { rest = rest.dropFirst() }
        let integer = rest.prefix(while: \.isASCIIDigitCharacter)
        rest = rest.dropFirst(integer.count)
        var fraction: Substring = ""
        if rest.first == "." {
            rest = rest.dropFirst()
            fraction = rest.prefix(while: \.isASCIIDigitCharacter)
            rest = rest.dropFirst(fraction.count)
        }
        guard !integer.isEmpty || !fraction.isEmpty else { return nil }
        var exponent = ""
        if rest.first == "e" || rest.first == "E" {
            rest = rest.dropFirst()
            var expSign = ""
            if rest.first == "-" || rest.first == "+" { expSign = String(rest.first!); rest = rest.dropFirst() }
            let digits = rest.prefix(while: \.isASCIIDigitCharacter)
            guard !digits.isEmpty else { return nil }
            rest = rest.dropFirst(digits.count)
            exponent = "e" + expSign + digits
        }
        guard rest.isEmpty else { return nil }
        let whole = integer.drop(while: { $0 == "0" })
        return sign + (whole.isEmpty ? "0" : String(whole)) + (fraction.isEmpty ? "" : "." + fraction) + exponent
    }
}

private extension Character {
    var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}
