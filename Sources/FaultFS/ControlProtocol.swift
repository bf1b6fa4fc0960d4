import FaultEngine
import Foundation

/// One request of the control protocol, as one JSON object on one line.
///
/// The server decodes it, `faultbench ctl` and the tests (and a harness)
/// encode it, so there is one definition of every field and its range. The
/// wire format is README's "Control protocol": `{"op":"clear","id":3}`.
/// Decoding refuses, with a sentence naming the field, a field of the wrong
/// type, a value out of range and a field the operation does not have.
public enum ControlRequest: Sendable, Hashable {
    /// `{"op":"ping"}`: is the daemon serving requests.
    case ping
    /// `{"op":"arm","plan":"<YAML>","file":"name"}`; `plan` may also be a
    /// JSON object with `rules`, which is sent on as its JSON text (valid
    /// YAML). `file` names the plan in error messages.
    case arm(plan: String, file: String? = nil)
    /// `{"op":"list"}`: the armed rules with their counters.
    case list
    /// `{"op":"clear","id":N}` one rule, or `{"op":"clear"}` every rule.
    case clear(id: UInt64?)
    /// `{"op":"power-loss","metadata":false,"keep":0,"kill":[pids]}`: crash now.
    case powerLoss(metadata: Bool = false, keep: Double = 0, kill: [Int32] = [])
    /// `{"op":"counters"}`: totals since the mount started.
    case counters
    /// `{"op":"trace","drain":true}`: the trace lines not yet drained.
    case trace(drain: Bool = false)
    /// `{"op":"exempt","pids":[...]}`: processes never faulted (replaces the set).
    case exempt(pids: [Int32])

    /// The longest request line the server reads, newline excluded: 1 MiB.
    /// A longer one is refused after reading at most this much of it.
    public static let maximumLength = 1 << 20

    /// Every operation's name, as `op` spells it.
    public static let operations = ["arm", "list", "clear", "power-loss", "counters", "trace", "exempt", "ping"]

    /// The operation's name, as `op` spells it.
    public var op: String {
        switch self {
        case .ping: "ping"
        case .arm: "arm"
        case .list: "list"
        case .clear: "clear"
        case .powerLoss: "power-loss"
        case .counters: "counters"
        case .trace: "trace"
        case .exempt: "exempt"
        }
    }

    /// The request as one line of JSON (no newline), keys sorted.
    public var line: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding these fields (strings, numbers, booleans, arrays) cannot fail.
        let data = (try? encoder.encode(self)) ?? Data("{\"op\":\"\(op)\"}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Decodes one request line.
    /// - Throws: `ControlProtocolError` with one sentence naming what is wrong.
    public init(line: some Collection<UInt8>) throws(ControlProtocolError) {
        do {
            self = try JSONDecoder().decode(ControlRequest.self, from: Data(line))
        } catch let error as ControlProtocolError {
            throw error
        } catch DecodingError.typeMismatch(_, _) {
            throw ControlProtocolError("a request must be a JSON object such as {\"op\":\"ping\"}")
        } catch {
            throw ControlProtocolError("the request is not valid JSON (\(ControlRequest.describe(error))); send one JSON object per line")
        }
    }

    static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = context.underlyingError.map { "\($0)" } ?? context.debugDescription
            return String(underlying.split(whereSeparator: \.isNewline).first ?? "")
        }
        return String("\(error)".split(whereSeparator: \.isNewline).first ?? "")
    }
}

/// A request or reply that does not follow the protocol, as one sentence
/// (no final period: the server sends it as `error`).
public struct ControlProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension ControlRequest: Codable {
    private enum Key: String, CodingKey, CaseIterable {
        case op, plan, file, id, metadata, keep, kill, drain, pids
    }

    /// The fields each operation has besides `op`.
    private static let fields: [String: Set<Key>] = [
        "ping": [], "list": [], "counters": [], "arm": [.plan, .file], "clear": [.id],
        "power-loss": [.metadata, .keep, .kill], "trace": [.drain], "exempt": [.pids],
    ]

    public init(from decoder: any Decoder) throws {
        let object = try decoder.container(keyedBy: AnyKey.self)
        guard object.contains(AnyKey("op")) else { throw ControlProtocolError("a request needs an \"op\" field, such as {\"op\":\"ping\"}") }
        let opValue = try object.decode(JSONValue.self, forKey: AnyKey("op"))
        guard case .string(let op) = opValue else {
            throw ControlProtocolError("\"op\" is \(opValue.summary), not text; use one of \(ControlRequest.operations.joined(separator: ", "))")
        }
        guard let allowed = ControlRequest.fields[op] else {
            throw ControlProtocolError("unknown op '\(op.prefix(64))'; use arm, list, clear, power-loss, counters, trace, exempt or ping")
        }
        for key in object.allKeys where key.stringValue != "op" {
            guard let known = Key(rawValue: key.stringValue), allowed.contains(known) else {
                let names = allowed.map(\.rawValue).sorted()
                let use = names.isEmpty ? "it takes no other field" : "use \(names.joined(separator: ", "))"
                throw ControlProtocolError("\"\(key.stringValue.prefix(64))\" is not a field of \(op); \(use)")
            }
        }
        func value(_ key: Key) throws -> JSONValue? {
            guard object.contains(AnyKey(key.rawValue)) else { return nil }
            let value = try object.decode(JSONValue.self, forKey: AnyKey(key.rawValue))
            return value == .null ? nil : value
        }
        func bool(_ key: Key) throws -> Bool? {
            guard let v = try value(key) else { return nil }
            guard case .bool(let b) = v else { throw ControlProtocolError("\"\(key.rawValue)\" is \(v.summary), not true or false") }
            return b
        }
        func pids(_ key: Key) throws -> [Int32] {
            guard let v = try value(key) else { return [] }
            guard case .array(let items) = v else { throw ControlProtocolError("\"\(key.rawValue)\" is \(v.summary), not a list of process ids") }
            return try items.map { item throws -> Int32 in
                guard case .integer(let pid) = item, PlanLimits.isProcessID(pid) else {
                    throw ControlProtocolError("\"\(key.rawValue)\" has \(item.summary), which is not a process id; use positive pids up to \(PlanLimits.largestPID) (0 and negative values would signal whole process groups)")
                }
                return Int32(pid)
            }
        }
        switch op {
        case "ping": self = .ping
        case "list": self = .list
        case "counters": self = .counters
        case "arm":
            let file: String?
            switch try value(.file) {
            case nil: file = nil
            case .string(let name)?: file = name
            case let other?: throw ControlProtocolError("\"file\" is \(other.summary), not text")
            }
            switch try value(.plan) {
            case .string(let yaml)?: self = .arm(plan: yaml, file: file)
            case .object(let fields)?: self = .arm(plan: JSONValue.object(fields).json, file: file)
            case nil: throw ControlProtocolError("arm needs a \"plan\": YAML text, or an object with \"rules\"")
            case let other?: throw ControlProtocolError("\"plan\" is \(other.summary); send YAML text, or an object with \"rules\"")
            }
        case "clear":
            switch try value(.id) {
            case nil: self = .clear(id: nil)
            case .integer(let id)? where id >= 1: self = .clear(id: UInt64(id))
            case let other?: throw ControlProtocolError("\"id\" is \(other.summary), which is not a rule id; use a whole number from 1 (list shows the ids), or no id to clear every rule")
            }
        case "power-loss":
            var keep = 0.0
            switch try value(.keep) {
            case nil: break
            case .integer(let n)? where (0...1).contains(n): keep = Double(n)
            case .number(let p)? where (0...1).contains(p): keep = p
            case let other?: throw ControlProtocolError("\"keep\" is \(other.summary), which is outside 0...1; use the probability that an unsynced block survives, from 0 to 1")
            }
            self = .powerLoss(metadata: try bool(.metadata) ?? false, keep: keep, kill: try pids(.kill))
        case "trace": self = .trace(drain: try bool(.drain) ?? false)
        default:
            guard try value(.pids) != nil else { throw ControlProtocolError("exempt needs \"pids\", a list of process ids (an empty list exempts nobody)") }
            self = .exempt(pids: try pids(.pids))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var object = encoder.container(keyedBy: Key.self)
        try object.encode(op, forKey: .op)
        switch self {
        case .ping, .list, .counters: break
        case .arm(let plan, let file):
            try object.encode(plan, forKey: .plan)
            try object.encodeIfPresent(file, forKey: .file)
        case .clear(let id): try object.encodeIfPresent(id, forKey: .id)
        case .powerLoss(let metadata, let keep, let kill):
            try object.encode(metadata, forKey: .metadata)
            try object.encode(keep, forKey: .keep)
            try object.encode(kill, forKey: .kill)
        case .trace(let drain): try object.encode(drain, forKey: .drain)
        case .exempt(let pids): try object.encode(pids, forKey: .pids)
        }
    }
}

/// One reply of the control protocol: `ok`, and the fields of its request.
/// Fields a request does not produce are left out of the JSON.
public struct ControlReply: Codable, Sendable, Hashable {
    /// Whether the request was carried out.
    public var ok: Bool
    /// Why not, as one sentence, when `ok` is false.
    public var error: String?
    /// arm: the new rules' ids.
    public var ids: [UInt64]?
    /// arm: handles open in kernel passthrough now, which no rule reaches until reopened.
    public var passthroughOpen: Int?
    /// list: the armed rules.
    public var rules: [Rule]?
    /// clear: how many rules were cleared.
    public var cleared: Int?
    /// counters: calls seen and faults injected since the mount started.
    public var calls: UInt64?
    public var faults: UInt64?
    /// counters: trace lines not yet drained.
    public var pendingTrace: Int?
    /// counters: kernel passthrough.
    public var passthrough: PassthroughCounters?
    /// trace: the lines.
    public var lines: [String]?
    /// power-loss: the processes signalled.
    public var killed: [Int32]?
    /// power-loss: named pids that did not exist when the crash fired.
    public var missing: [Int32]?
    /// arm: handles opened before the arm that may keep reads, writes or
    /// flushes from a new rule until they are reopened.
    public var cachedOpen: Int?

    /// One armed rule in a `list` reply.
    public struct Rule: Codable, Sendable, Hashable {
        public var id: UInt64
        public var name: String
        public var fault: String
        public var path: String
        public var matched: UInt64
        public var fired: UInt64

        public init(id: UInt64, name: String, fault: String, path: String, matched: UInt64, fired: UInt64) {
            self.id = id
            self.name = name
            self.fault = fault
            self.path = path
            self.matched = matched
            self.fired = fired
        }
    }

    /// The `passthrough` object of a `counters` reply.
    public struct PassthroughCounters: Codable, Sendable, Hashable {
        /// Whether the kernel granted passthrough at INIT and it is wanted.
        public var available: Bool
        /// Opens given passthrough so far.
        public var granted: Int
        /// Handles in passthrough now.
        public var open: Int
        /// Opens of a targeted file that had to join a passthrough open of the same inode.
        public var forced: Int

        public init(available: Bool, granted: Int, open: Int, forced: Int) {
            self.available = available
            self.granted = granted
            self.open = open
            self.forced = forced
        }
    }

    enum CodingKeys: String, CodingKey {
        case ok, error, ids, rules, cleared, calls, faults, passthrough, lines, killed, missing
        case passthroughOpen = "passthrough_open"
        case cachedOpen = "cached_open"
        case pendingTrace = "pending_trace"
    }

    public init(ok: Bool = true, error: String? = nil) {
        self.ok = ok
        self.error = error
    }

    /// A refusal.
    public static func failure(_ message: String) -> ControlReply { ControlReply(ok: false, error: message) }

    /// The reply as one line of JSON (no newline), keys sorted.
    public var line: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(self)) ?? Data("{\"ok\":false,\"error\":\"the reply could not be encoded\"}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Decodes one reply line.
    public init(line: String) throws(ControlProtocolError) {
        do {
            self = try JSONDecoder().decode(ControlReply.self, from: Data(line.utf8))
        } catch {
            throw ControlProtocolError("the control socket answered '\(line.prefix(200))', which is not a reply (\(ControlRequest.describe(error)))")
        }
    }
}

/// Any JSON key, so unknown fields can be named in the refusal.
private struct AnyKey: CodingKey {
    let stringValue: String
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { return nil }
}

/// A JSON value as sent, so that each field's type and range can be checked
/// by hand and refused with a sentence, instead of a decoding error (or a
/// trapping conversion) deciding.
indirect enum JSONValue: Decodable, Hashable, Sendable {
    case null
    case bool(Bool)
    /// A number that is a whole number within Int64.
    case integer(Int64)
    /// Any other number.
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let single = try decoder.singleValueContainer()
        if single.decodeNil() { self = .null; return }
        if let b = try? single.decode(Bool.self) { self = .bool(b); return }
        if let i = try? single.decode(Int64.self) { self = .integer(i); return }
        if let d = try? single.decode(Double.self) { self = .number(d); return }
        if let s = try? single.decode(String.self) { self = .string(s); return }
        if let a = try? single.decode([JSONValue].self) { self = .array(a); return }
        self = .object(try single.decode([String: JSONValue].self))
    }

    /// What the value is, for a refusal: `-1`, `1.5`, `"a"`, `a list`.
    var summary: String {
        switch self {
        case .null: "null"
        case .bool(let b): "\(b)"
        case .integer(let i): "\(i)"
        case .number(let d): "\(d)"
        case .string(let s): "\"\(s.prefix(40))\(s.count > 40 ? "..." : "")\""
        case .array: "a list"
        case .object: "an object"
        }
    }

    /// The value as JSON text, for a plan sent as an object.
    var json: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .integer(let i): return "\(i)"
        case .number(let d): return "\(d)"
        case .string(let s): return JSONValue.quoted(s)
        case .array(let items): return "[" + items.map(\.json).joined(separator: ",") + "]"
        case .object(let fields):
            return "{" + fields.sorted(by: { $0.key < $1.key }).map { JSONValue.quoted($0.key) + ":" + $0.value.json }
                .joined(separator: ",") + "}"
        }
    }

    private static func quoted(_ text: String) -> String {
        // Encoding a string cannot fail.
        (try? JSONEncoder().encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }
}
