import Foundation
import FaultEngine
import Yams

/// Reading single values from YAML nodes: every number through a checked
/// conversion with a range, so that no input (huge, negative, fractional,
/// the wrong type) can trap.
extension ScenarioParser {
    func fail(_ node: Node?, _ field: String, _ message: String) -> ScenarioError {
        ScenarioError(file: file, line: node?.mark?.line, field: field, message: message)
    }

    func describe(_ node: Node) -> String {
        if let text = node.scalar?.string { return text.isEmpty ? "an empty value" : text }
        return node.sequence != nil ? "a list" : "a mapping"
    }

    /// The entries of a mapping by key, refusing keys outside `allowed` and
    /// keys given twice. `required` keys must be present.
    func fields(_ node: Node, _ field: String, allowed: [String], required: [String] = [], what: String)
        throws(ScenarioError) -> Fields
    {
        guard let mapping = node.mapping else {
            throw fail(node, field, "\(describe(node)) is not \(what); write a mapping with \(allowed.joined(separator: ", ")).")
        }
        var result = Fields(node: node)
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                throw fail(key, field, "has a key that is not text; use \(allowed.joined(separator: ", ")).")
            }
            let path = field.isEmpty ? name : "\(field).\(name)"
            guard allowed.contains(name) else {
                throw fail(key, path, "is not a field of \(what); use \(allowed.joined(separator: ", ")).")
            }
            guard result.values[name] == nil else {
                throw fail(key, path, "is given twice; keep one.")
            }
            result.values[name] = value
            result.order.append(name)
        }
        for name in required where result.values[name] == nil {
            throw fail(node, field.isEmpty ? name : "\(field).\(name)", "is missing; \(what) needs it.")
        }
        return result
    }

    struct Fields {
        let node: Node
        var values: [String: Node] = [:]
        var order: [String] = []
        subscript(_ name: String) -> Node? { values[name] }
    }

    func string(_ node: Node, _ field: String, nonEmpty: Bool = true) throws(ScenarioError) -> String {
        guard let text = node.scalar?.string else {
            throw fail(node, field, "\(describe(node)) is not text; write a single value.")
        }
        if nonEmpty, text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw fail(node, field, "is empty; write some text.")
        }
        return text
    }

    func strings(_ node: Node, _ field: String) throws(ScenarioError) -> [(String, Node)] {
        guard let sequence = node.sequence else {
            throw fail(node, field, "\(describe(node)) is not a list; write [a, b] or one `- item` per line.")
        }
        var result: [(String, Node)] = []
        for (index, item) in sequence.enumerated() {
            result.append((try string(item, "\(field)[\(index)]"), item))
        }
        return result
    }

    func list(_ node: Node, _ field: String, of what: String) throws(ScenarioError) -> [Node] {
        guard let sequence = node.sequence else {
            throw fail(node, field, "\(describe(node)) is not a list; write one `- ...` item per \(what).")
        }
        return Array(sequence)
    }

    /// A whole number in `range`, written in decimal.
    func integer(_ node: Node, _ field: String, in range: ClosedRange<Int>) throws(ScenarioError) -> Int {
        guard let text = node.scalar?.string, let value = Int(text), range.contains(value) else {
            throw fail(node, field, "\(describe(node)) is not a whole number from \(range.lowerBound) to \(range.upperBound); write one like \(range.lowerBound == 0 ? 1 : range.lowerBound).")
        }
        return value
    }

    /// A seed: a whole number from 0 to 2^64-1.
    func seed(_ node: Node, _ field: String) throws(ScenarioError) -> UInt64 {
        guard let text = node.scalar?.string, let value = UInt64(text) else {
            throw fail(node, field, "\(describe(node)) is not a whole number from 0 to 18446744073709551615; write a seed like 7.")
        }
        return value
    }

    /// A finite number in `range`.
    func number(_ node: Node, _ field: String, in range: ClosedRange<Double>) throws(ScenarioError) -> Double {
        guard let text = node.scalar?.string, let value = Double(text), value.isFinite, range.contains(value) else {
            throw fail(node, field, "\(describe(node)) is not a number from \(format(range.lowerBound)) to \(format(range.upperBound)).")
        }
        return value
    }

    func bool(_ node: Node, _ field: String) throws(ScenarioError) -> Bool {
        guard let scalar = node.scalar, scalar.style == .plain || scalar.style == .any else {
            throw fail(node, field, "\(describe(node)) is not true or false.")
        }
        switch scalar.string {
        case "true": return true
        case "false": return false
        default: throw fail(node, field, "\(describe(node)) is not true or false.")
        }
    }

    /// A duration in seconds: `250ms`, `2s`, `1m`, `100us`, `500ns`, or a
    /// bare number of seconds, as in plans. Strictly positive unless
    /// `allowZero`, and at most `ScenarioLimits.maximumSeconds`.
    func seconds(_ node: Node, _ field: String, allowZero: Bool = false) throws(ScenarioError) -> Double {
        guard let value = Self.parseDuration(node.scalar?.string) else {
            throw fail(node, field, "\(describe(node)) is not a duration; write one like 500ms, 2s or 1m.")
        }
        guard value > 0 || (allowZero && value == 0) else {
            throw fail(node, field, "\(describe(node)) is \(value < 0 ? "negative" : "zero"); write a duration above 0 such as 2s.")
        }
        guard value <= ScenarioLimits.maximumSeconds else {
            throw fail(node, field, "\(describe(node)) is longer than a day; write a duration such as 2s or 5m.")
        }
        return value
    }

    /// Seconds from a duration text; nil if it is not one (or not finite).
    static func parseDuration(_ raw: String?) -> Double? {
        guard let text = raw?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        let units: [(String, Double)] = [("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9), ("s", 1), ("m", 60)]
        var scale = 1.0
        var digits = Substring(text)
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            scale = factor
            digits = text.dropLast(suffix.count)
            break
        }
        // Double("inf") and Double("nan") parse; a duration never is one.
        guard let first = digits.first, first.isNumber || first == "-" || first == "+" || first == ".",
              let value = Double(digits), value.isFinite else { return nil }
        let seconds = value * scale
        return seconds.isFinite ? seconds : nil
    }

    /// A path relative to the trial's directory: not absolute, no `..`, no NUL.
    func relativePath(_ node: Node, _ field: String, glob: Bool = false) throws(ScenarioError) -> String {
        let path = try string(node, field)
        if path.hasPrefix("/") {
            throw fail(node, field, "\(path) is absolute; write a path relative to the trial's directory, e.g. \(path.split(separator: "/").last.map(String.init) ?? "out/file").")
        }
        if path.contains("\u{0}") {
            throw fail(node, field, "contains a NUL character; write a plain relative path.")
        }
        if path.split(separator: "/", omittingEmptySubsequences: false).contains("..") {
            throw fail(node, field, "\(path) contains `..`; write a path inside the trial's directory.")
        }
        if glob {
            do { _ = try Glob(path) } catch { throw fail(node, field, error.description) }
        }
        return path
    }

    /// Permission bits, always read as octal as chmod does: `644`, `0644`, `0o755`.
    func mode(_ node: Node, _ field: String) throws(ScenarioError) -> UInt32 {
        guard let text = node.scalar?.string else {
            throw fail(node, field, "\(describe(node)) is not a file mode; write octal bits such as 0644 or 0755.")
        }
        let digits = text.hasPrefix("0o") ? String(text.dropFirst(2)) : text
        guard !digits.isEmpty, digits.count <= 5, let value = UInt32(digits, radix: 8), value <= 0o7777 else {
            throw fail(node, field, "\(text) is not a file mode; write octal bits from 0 to 7777 such as 0644 or 0755.")
        }
        return value
    }

    private func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
