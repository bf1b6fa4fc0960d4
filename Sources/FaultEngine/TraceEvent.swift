/// One injected fault, as one JSON line of the trace.
///
/// The keys always come in the order `seq, t, rule, fault, op, path, n,
/// offset, length, result, pid` and `t` always has nine decimals, so two
/// traces of the same run compare byte for byte.
public struct TraceEvent: Sendable, Hashable {
    /// The event's number in the trace, from 1.
    public var seq: UInt64
    /// Nanoseconds since the engine started, from its clock.
    public var nanoseconds: UInt64
    /// The rule's name.
    public var rule: String
    /// The fault's plan name, e.g. `short-write`.
    public var fault: String
    /// The operation.
    public var op: FSOperation
    /// The path, relative to the mount root.
    public var path: String
    /// The call's ordinal among calls to this (path, op) that some rule targeted; replay matches on it.
    public var n: UInt64
    /// The call's file offset.
    public var offset: Int64
    /// The call's byte count.
    public var length: Int
    /// What was injected, e.g. `EIO`, `short 100/4096`, `delay 2.000000ms`.
    public var result: String
    /// The caller's pid.
    public var pid: Int32

    /// Creates an event.
    public init(seq: UInt64, nanoseconds: UInt64, rule: String, fault: String, op: FSOperation, path: String,
                n: UInt64, offset: Int64, length: Int, result: String, pid: Int32) {
        self.seq = seq
        self.nanoseconds = nanoseconds
        self.rule = rule
        self.fault = fault
        self.op = op
        self.path = path
        self.n = n
        self.offset = offset
        self.length = length
        self.result = result
        self.pid = pid
    }

    /// The event as one JSON line without a newline.
    public var jsonLine: String {
        var line = "{\"seq\":\(seq),\"t\":\(TraceEvent.seconds(nanoseconds)),\"rule\":"
        TraceEvent.appendQuoted(rule, to: &line)
        line += ",\"fault\":"
        TraceEvent.appendQuoted(fault, to: &line)
        line += ",\"op\":\"\(op.rawValue)\",\"path\":"
        TraceEvent.appendQuoted(path, to: &line)
        line += ",\"n\":\(n),\"offset\":\(offset),\"length\":\(length),\"result\":"
        TraceEvent.appendQuoted(result, to: &line)
        line += ",\"pid\":\(pid)}"
        return line
    }

    /// Parses one line written by `jsonLine`.
    /// - Throws: `TraceError` naming the line number and what is wrong.
    public init(jsonLine: String, lineNumber: Int = 1) throws(TraceError) {
        var fields: [String: String]
        do {
            fields = try FlatJSON.parse(jsonLine)
        } catch {
            throw TraceError(line: lineNumber, message: error.message)
        }
        for key in TraceEvent.keys where fields[key] == nil {
            throw TraceError(line: lineNumber, message: "the key \"\(key)\" is missing.")
        }
        func text(_ key: String) throws(TraceError) -> String {
            guard let value = fields[key] else {
                throw TraceError(line: lineNumber, message: "the key \"\(key)\" is missing.")
            }
            return value
        }
        func number<T: FixedWidthInteger>(_ key: String, _ type: T.Type) throws(TraceError) -> T {
            let raw = try text(key)
            guard let value = T(raw) else {
                throw TraceError(line: lineNumber, message: "\"\(key)\" is \(raw), not a whole number.")
            }
            return value
        }
        let opName = try text("op")
        guard let op = FSOperation(rawValue: opName) else {
            throw TraceError(line: lineNumber, message: "\"op\" is \(opName), which is not a filesystem operation.")
        }
        let t = try text("t")
        guard let ns = TraceEvent.nanoseconds(fromSeconds: t) else {
            throw TraceError(line: lineNumber, message: "\"t\" is \(t), not seconds with up to nine decimals.")
        }
        self.init(seq: try number("seq", UInt64.self), nanoseconds: ns, rule: try text("rule"), fault: try text("fault"),
                  op: op, path: try text("path"), n: try number("n", UInt64.self), offset: try number("offset", Int64.self),
                  length: try number("length", Int.self), result: try text("result"), pid: try number("pid", Int32.self))
    }

    /// The keys of a trace line, in the order they are written.
    public static let keys = ["seq", "t", "rule", "fault", "op", "path", "n", "offset", "length", "result", "pid"]

    /// Parses a whole trace, one event per non-empty line.
    public static func parse(trace: String) throws(TraceError) -> [TraceEvent] {
        var events: [TraceEvent] = []
        for (index, line) in trace.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.allSatisfy(\.isWhitespace) {
            events.append(try TraceEvent(jsonLine: String(line), lineNumber: index + 1))
        }
        return events
    }

    static func seconds(_ ns: UInt64) -> String {
        let fraction = String(ns % 1_000_000_000)
        return "\(ns / 1_000_000_000)." + String(repeating: "0", count: 9 - fraction.count) + fraction
    }

    static func nanoseconds(fromSeconds text: String) -> UInt64? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = UInt64(parts[0]) else { return nil }
        var fraction: UInt64 = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 9, let value = UInt64(digits) else { return nil }
            fraction = value
            for _ in digits.count..<9 { fraction *= 10 }
        }
        let (ns, overflow) = whole.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return nil }
        let (total, carry) = ns.addingReportingOverflow(fraction)
        return carry ? nil : total
    }

    static func appendQuoted(_ text: String, to line: inout String) {
        line += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                line += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: line.unicodeScalars.append(scalar)
            }
        }
        line += "\""
    }
}

/// A trace line that does not parse.
public struct TraceError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The 1-based line in the trace.
    public var line: Int
    /// A full sentence saying what is wrong.
    public var message: String

    public var description: String { "trace line \(line): \(message)" }
}
