import ExecutionPatterns
import ExecutorContract
import Foundation
import SystemPackage
import Yams

/// `read-config`: read a JSON, YAML or CSV file, pick the selected keys (or
/// CSV columns) and write them to `output` as one JSON object (docs/TASKS.md).
///
/// The output is the same for both arms, byte for byte, when both read the
/// same values: a compact JSON object with sorted keys, each selected key
/// (`server.port`) mapped to its value; a CSV column maps to the array of
/// its fields, as strings.
enum ReadConfigTask {
    /// Ordinary code: read the file, parse it with the usual parser
    /// (JSONSerialization, Yams, a split on newlines and commas), take the
    /// selected keys, write the output plainly. A missing key is an error, as
    /// `config["server"]["port"]` would be; a value's type is not checked.
    static func off(_ task: TaskSpec.ReadConfig) -> Claim {
        do {
            let bytes = try PlainFiles.read(task.path)
            let selected = try selectPlain(from: bytes, task: task)
            try PlainFiles.write(try encode(selected), to: task.output)
            return Claim(status: .success, produced: [task.output])
        } catch {
            return .failure(error)
        }
    }

    /// EXEC-001 typed load and validation (the selected keys' types checked),
    /// PATTERN-003 retry of the read, EXEC-004 and PATTERN-002 for the output.
    static func on(_ task: TaskSpec.ReadConfig, _ patterns: PatternSelection) -> Claim {
        var io = OnArmIO(patterns)
        do {
            let selected: [String: Any]
            if patterns.typeSafeFiles {
                let content = try io.retried("reading \(task.path)") { try loadTyped(task).get() }
                selected = try selectTyped(from: content, task: task)
            } else {
                let bytes = try io.retried("reading \(task.path)") { try PlainFiles.read(task.path) }
                selected = try selectPlain(from: bytes, task: task)
            }
            try io.writeFile(try encode(selected), to: task.output)
            return Claim(status: .success, produced: [task.output], attempts: io.attempts)
        } catch {
            return .failure(error, attempts: io.attempts)
        }
    }

    /// The output bytes: compact JSON, keys sorted.
    static func encode(_ selected: [String: Any]) throws -> [UInt8] {
        guard JSONSerialization.isValidJSONObject(selected) else {
            throw TaskError("The selected values cannot be written as JSON (a date or binary value?).")
        }
        return Array(try JSONSerialization.data(withJSONObject: selected, options: [.sortedKeys, .withoutEscapingSlashes]))
    }

    static func format(of task: TaskSpec.ReadConfig) throws(TaskError) -> String {
        let name = (task.format ?? FilePath(task.path).extension ?? "").lowercased()
        switch name {
        case "json", "csv": return name
        case "yaml", "yml": return "yaml"
        default: throw TaskError("Cannot tell the format of \(task.path): set the task's format to json, yaml or csv.")
        }
    }

    // MARK: - Pattern off: the usual parsers

    static func selectPlain(from bytes: [UInt8], task: TaskSpec.ReadConfig) throws -> [String: Any] {
        let format = try format(of: task)
        if format == "csv" {
            let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
            guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map(String.init) else {
                throw TaskError("\(task.path) has no header line.")
            }
            var selected: [String: Any] = [:]
            for column in task.select {
                guard let index = header.firstIndex(of: column) else { throw TaskError("\(task.path) has no column '\(column)'.") }
                selected[column] = lines.dropFirst().map { line -> String in
                    let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                    return index < fields.count ? String(fields[index]) : ""
                }
            }
            return selected
        }
        let document: Any
        if format == "json" {
            document = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } else {
            guard let loaded = try Yams.load(yaml: String(decoding: bytes, as: UTF8.self)) else {
                throw TaskError("\(task.path) is an empty YAML document.")
            }
            document = loaded
        }
        var selected: [String: Any] = [:]
        for key in task.select {
            var current: Any? = document
            for part in key.split(separator: ".").map(String.init) {
                if let object = current as? [String: Any] {
                    current = object[part]
                } else if let mapping = current as? [AnyHashable: Any] {
                    current = mapping[AnyHashable(part)]
                } else {
                    current = nil
                }
            }
            guard let value = current else { throw TaskError("\(task.path) has no key '\(key)'.") }
            selected[key] = plainJSON(value)
        }
        return selected
    }

    /// Yams gives mappings keyed by AnyHashable; JSONSerialization wants String keys.
    private static func plainJSON(_ value: Any) -> Any {
        if let mapping = value as? [AnyHashable: Any] {
            return Dictionary(uniqueKeysWithValues: mapping.map { ("\($0.key.base)", plainJSON($0.value)) })
        }
        if let array = value as? [Any] { return array.map(plainJSON) }
        return value
    }

    // MARK: - Pattern on: EXEC-001

    static func loadTyped(_ task: TaskSpec.ReadConfig) -> Result<FileContent, FileContentError> {
        let path = FilePath(task.path)
        guard let declared = task.format else { return FileHandlerRegistry().load(path) }
        let handler: FileHandler
        switch declared.lowercased() {
        case "json": handler = .json
        case "yaml", "yml": handler = .yaml
        case "csv": handler = .csv
        default: return .failure(FileContentError(path: path, format: nil, kind: .unsupportedExtension(declared)))
        }
        // The declared format wins over the extension; the content is still checked against it.
        var registry = FileHandlerRegistry()
        if let ext = path.extension {
            registry.register(handler, extensions: [ext])
            return registry.load(path)
        }
        return registry.load(path, dispatch: .byContent).flatMap { content in
            content.format == handler.format ? .success(content)
                : .failure(FileContentError(path: path, format: handler.format, kind: .contentMismatch(declared: handler.format, detected: content.format)))
        }
    }

    static func selectTyped(from content: FileContent, task: TaskSpec.ReadConfig) throws -> [String: Any] {
        let types = task.types ?? [:]
        var selected: [String: Any] = [:]
        switch content {
        case .csv(let table):
            for column in task.select {
                guard let index = table.header.firstIndex(of: column) else { throw TaskError("\(task.path) has no column '\(column)'.") }
                let values = table.rows.map { $0[index] }
                if let type = types[column], let (row, bad) = values.enumerated().first(where: { !fieldHasType($0.element, type) }) {
                    throw TaskError("\(task.path), row \(row + 2), column '\(column)': '\(bad)' is not \(article(type)) \(type).")
                }
                selected[column] = values
            }
        case .json, .yaml:
            let document: JSONValue
            if case .json(let v) = content { document = v } else if case .yaml(let n) = content { document = n.jsonValue } else { document = .null }
            for key in task.select {
                var current: JSONValue? = document
                for part in key.split(separator: ".") { current = current?[String(part)] }
                guard let value = current else { throw TaskError("\(task.path) has no key '\(key)'.") }
                if let type = types[key], !valueHasType(value, type) {
                    throw TaskError("\(task.path): '\(key)' is \(describe(value)), but the task requires \(article(type)) \(type).")
                }
                selected[key] = anyValue(value)
            }
        default:
            throw TaskError("\(task.path) is \(content.format), not JSON, YAML or CSV.")
        }
        return selected
    }

    static func valueHasType(_ value: JSONValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("string", .string), ("number", .number), ("boolean", .bool), ("object", .object), ("array", .array): true
        case ("integer", .number(let d)): d.rounded() == d && abs(d) < 9e15
        default: false
        }
    }

    static func fieldHasType(_ field: String, _ type: String) -> Bool {
        switch type {
        case "string": true
        case "integer": Int(field) != nil
        case "number": Double(field) != nil
        case "boolean": field == "true" || field == "false"
        default: false
        }
    }

    static func article(_ type: String) -> String { type.first.map { "aeiou".contains($0) } == true ? "an" : "a" }

    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let b): "the boolean \(b)"
        case .number(let d): "the number \(d)"
        case .string(let s): "the string \"\(s.prefix(40))\""
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// The value as JSONSerialization takes it; whole numbers as Int, so both arms print `8080`.
    static func anyValue(_ value: JSONValue) -> Any {
        switch value {
        case .null: NSNull()
        case .bool(let b): b
        case .number(let d): d.rounded() == d && abs(d) < 9e15 ? Int(d) : d
        case .string(let s): s
        case .array(let a): a.map(anyValue)
        case .object(let members): Dictionary(members.map { ($0.key, anyValue($0.value)) }, uniquingKeysWith: { a, _ in a })
        }
    }
}
