import Foundation
import Yams

extension PlanParser {
    func string(_ node: Node, _ field: String) throws(PlanError) -> String {
        guard let text = node.scalar?.string else {
            throw error(node, field, "\(describe(node)) is not text; write a single value.")
        }
        return text
    }

    func count(_ node: Node, _ field: String, minimum: Int, maximum: Int = .max) throws(PlanError) -> Int {
        guard let text = node.scalar?.string, let value = Int(text) else {
            if let text = node.scalar?.string, Double(text) != nil {
                throw error(node, field, "\(text) is not a whole number from \(minimum) to \(maximum).")
            }
            throw error(node, field, "\(describe(node)) is not a whole number.")
        }
        guard value >= minimum else {
            let what = value < 0 ? "is negative" : "is below \(minimum)"
            throw error(node, field, "\(value) \(what); use a whole number of \(minimum) or more.")
        }
        guard value <= maximum else {
            throw error(node, field, "\(value) is above \(maximum); use a whole number from \(minimum) to \(maximum).")
        }
        return value
    }

    /// A process id to signal, exempt or filter on: 0 (the caller's process
    /// group), -1 (every process) and other negative values name groups of
    /// processes, never the one process the user meant, so they are refused.
    func processID(_ node: Node, _ field: String) throws(PlanError) -> Int32 {
        guard let text = node.scalar?.string, let value = Int64(text) else {
            throw error(node, field, "\(describe(node)) is not a process id; use a positive whole number such as 1234.")
        }
        guard PlanLimits.isProcessID(value) else {
            throw error(node, field, "\(value) is not a process id; use a positive pid up to \(PlanLimits.largestPID) (0 and negative values would signal whole process groups).")
        }
        return Int32(value)
    }

    func number(_ node: Node, _ field: String) throws(PlanError) -> Double {
        guard let text = node.scalar?.string, let value = Double(text), value.isFinite else {
            throw error(node, field, "\(describe(node)) is not a number.")
        }
        return value
    }

    func bool(_ node: Node, _ field: String) throws(PlanError) -> Bool {
        guard let value = node.bool else { throw error(node, field, "\(describe(node)) is not true or false.") }
        return value
    }

    /// A duration such as `500ms`, `2s`, `1.5s`, `250us`, `100ns`, `1m`; a bare number means seconds.
    func duration(_ node: Node, _ field: String) throws(PlanError) -> UInt64 {
        guard let text = node.scalar?.string.trimmingCharacters(in: .whitespaces) else {
            throw error(node, field, "\(describe(node)) is not a duration; write one like 500ms or 2s.")
        }
        let units: [(String, Double)] = [("ms", 1e6), ("us", 1e3), ("ns", 1), ("s", 1e9), ("m", 60e9)]
        var scale = 1e9
        var digits = Substring(text)
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            scale = factor
            digits = text.dropLast(suffix.count)
            break
        }
        guard let value = Double(digits), value.isFinite else {
            throw error(node, field, "\(describe(node)) is not a duration; write one like 500ms or 2s.")
        }
        guard value >= 0 else { throw error(node, field, "\(text) is negative; durations start at 0.") }
        return try nanoseconds(value * scale, node, field, text)
    }

    /// Converts only after checking the range: a plain `UInt64(x)` traps on
    /// 1e300, and a trap in the daemon removes the mount.
    private func nanoseconds(_ ns: Double, _ node: Node, _ field: String, _ text: String) throws(PlanError) -> UInt64 {
        guard ns.rounded() <= Double(PlanLimits.longestDuration) else {
            let hint = field.hasSuffix(".for") ? " (leave `for` out for no end)" : ""
            throw error(node, field, "\(text) is longer than a day; use a duration of at most \(PlanLimits.describe(seconds: PlanLimits.longestDuration))\(hint).")
        }
        return UInt64(ns.rounded())
    }

    /// Milliseconds as a number (`5`, `0.25`) or a duration (`5ms`).
    func milliseconds(_ node: Node, _ field: String) throws(PlanError) -> UInt64 {
        if let text = node.scalar?.string, let value = Double(text) {
            guard value.isFinite else { throw error(node, field, "\(text) is not a number of milliseconds.") }
            guard value >= 0 else { throw error(node, field, "\(text) is negative; delays start at 0.") }
            return try nanoseconds(value * 1e6, node, field, text + "ms")
        }
        return try duration(node, field)
    }

    func operations(_ node: Node, _ field: String) throws(PlanError) -> OperationSet {
        let items: [Node] = node.sequence.map(Array.init) ?? [node]
        var set = OperationSet()
        for item in items {
            let name = try string(item, field)
            guard let op = FSOperation(rawValue: name) else {
                throw error(item, field, "\(name) is not an operation; use names like lookup, open, read, write, fsync, rename.")
            }
            set.insert(op)
        }
        return set
    }

    func errnoChoice(_ node: Node, _ field: String) throws(PlanError) -> ErrnoChoice {
        func number(_ item: Node) throws(PlanError) -> Int32 {
            let name = try string(item, field)
            // A number is accepted too, for errnos a plan author only knows by value.
            if let raw = Int32(name), LinuxErrno.table.contains(where: { $0.number == raw }) { return raw }
            guard let value = LinuxErrno.number(named: name) else {
                throw error(item, field, "\(name) is not a Linux errno name; use one like EIO, ENOSPC, EACCES or EAGAIN.")
            }
            return value
        }
        if let mapping = node.mapping {
            var weighted: [ErrnoChoice.Weighted] = []
            for (key, value) in mapping {
                weighted.append(.init(errno: try number(key), weight: UInt64(try count(value, field, minimum: 1, maximum: PlanLimits.largestWeight))))
            }
            guard !weighted.isEmpty else { throw error(node, field, "is empty; name at least one errno such as EIO.") }
            return ErrnoChoice(weighted: weighted)
        }
        return ErrnoChoice(try number(node))
    }

    func offsets(_ node: Node, _ field: String) throws(PlanError) -> Range<Int64> {
        guard let mapping = node.mapping else {
            throw error(node, field, "\(describe(node)) is not a range; write {from: 0, to: 4096}.")
        }
        var from: Int64 = 0
        var to = Int64.max
        for (key, value) in mapping {
            switch key.string {
            case "from": from = Int64(try count(value, "\(field).from", minimum: 0))
            case "to": to = Int64(try count(value, "\(field).to", minimum: 0))
            default: throw error(key, "\(field).\(key.string ?? "?")", "is not a field of an offset range; use from and to.")
            }
        }
        guard from < to else { throw error(node, field, "from \(from) is not below to \(to); the range [from, to) would be empty.") }
        return from..<to
    }

    func callers(_ node: Node, _ field: String) throws(PlanError) -> CallerFilter {
        guard let mapping = node.mapping else {
            throw error(node, field, "\(describe(node)) is not a caller filter; write {exclude: {name: [oracle]}}.")
        }
        var filter = CallerFilter()
        for (key, value) in mapping {
            switch key.string {
            case "include": filter.include = try matches(value, "\(field).include")
            case "exclude": filter.exclude = try matches(value, "\(field).exclude")
            default: throw error(key, "\(field).\(key.string ?? "?")", "is not a field of a caller filter; use include or exclude.")
            }
        }
        return filter
    }

    func matches(_ node: Node, _ field: String) throws(PlanError) -> [CallerMatch] {
        guard let mapping = node.mapping else {
            throw error(node, field, "\(describe(node)) is not a process list; write {pid: [123], name: [python3], exe: [/usr/bin/python3]}.")
        }
        var result: [CallerMatch] = []
        for (key, value) in mapping {
            let items: [Node] = value.sequence.map(Array.init) ?? [value]
            let sub = "\(field).\(key.string ?? "?")"
            for item in items {
                switch key.string {
                case "pid":
                    result.append(.pid(try processID(item, sub)))
                case "name": result.append(.name(try string(item, sub)))
                case "exe": result.append(.executable(try string(item, sub)))
                default: throw error(key, sub, "is not a way to name a process; use pid, name or exe.")
                }
            }
        }
        return result
    }
}
