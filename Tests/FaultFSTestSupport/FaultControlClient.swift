#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import FaultFS
import Foundation

/// Speaks the control protocol of a mount started with `--control SOCKET`:
/// one JSON object per line each way, one connection per request.
///
/// Tests use it to arm, list and clear rules and to fetch the trace; they
/// check the filesystem's behaviour from other processes.
public struct FaultControlClient: Sendable {
    /// The socket path given to `faultbench mount --control`.
    public let socketPath: String

    public init(socketPath: String) {
        self.socketPath = socketPath
    }

    /// Sends one request line and returns the one answer line (without the newline).
    ///
    /// - Throws: when the socket cannot be reached, or closes before a whole
    ///   line came back within `timeout` seconds.
    public func exchange(_ line: String, timeout: Double = 20) throws -> String {
        switch ControlChannel.exchange(line, socket: socketPath, timeout: max(1, Int(timeout))) {
        case .success(let answer): return answer
        case .failure(let error): throw SupportError(error.description)
        }
    }

    /// Sends a request object and returns the answer object.
    public func send(_ request: [String: Any]) throws -> FaultControlAnswer {
        let data = try JSONSerialization.data(withJSONObject: request, options: [.sortedKeys])
        let line = try exchange(String(decoding: data, as: UTF8.self))
        return try FaultControlAnswer(line: line)
    }

    /// Sends a request that must succeed (`"ok": true`).
    @discardableResult
    public func must(_ request: [String: Any]) throws -> FaultControlAnswer {
        let answer = try send(request)
        guard answer.ok else { throw SupportError("control request \(request) failed: \(answer.line)") }
        return answer
    }

    /// Arms a YAML plan; returns the new rule ids.
    @discardableResult
    public func arm(_ yaml: String) throws -> [Int] {
        try must(["op": "arm", "plan": yaml]).ints("ids")
    }

    /// Every trace line not yet drained.
    public func trace(drain: Bool = false) throws -> [String] {
        try must(["op": "trace", "drain": drain]).strings("lines")
    }
}

/// One answer of the control socket: the line as sent and its parsed object.
public struct FaultControlAnswer: @unchecked Sendable, CustomStringConvertible {
    // @unchecked: `object` holds only what JSONSerialization produced
    // (strings, numbers, arrays, dictionaries), never mutated after init.
    public let line: String
    public let object: [String: Any]

    public init(line: String) throws {
        self.line = line
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw SupportError("the control socket answered '\(line)', which is not a JSON object.")
        }
        object = parsed
    }

    public var ok: Bool { object["ok"] as? Bool == true }
    public var error: String? { object["error"] as? String }
    public var description: String { line }

    public func int(_ key: String) throws -> Int {
        guard let value = Self.number(object[key]) else { throw SupportError("the answer '\(line)' has no whole number '\(key)'.") }
        return value
    }

    public func ints(_ key: String) throws -> [Int] {
        guard let list = object[key] as? [Any], case let value = list.compactMap(Self.number), value.count == list.count else { throw SupportError("the answer '\(line)' has no list of numbers '\(key)'.") }
        return value
    }

    public func strings(_ key: String) throws -> [String] {
        guard let value = object[key] as? [String] else { throw SupportError("the answer '\(line)' has no list of strings '\(key)'.") }
        return value
    }

    /// A whole number as JSONSerialization gives it (Int or NSNumber).
    public static func number(_ value: Any?) -> Int? {
        switch value {
        case let v as Int: return v
        case let v as NSNumber: return v.intValue
        default: return nil
        }
    }

    /// The `rules` of a `list` answer, each as a dictionary.
    public func rules() throws -> [[String: Any]] {
        guard let value = object["rules"] as? [[String: Any]] else { throw SupportError("the answer '\(line)' has no 'rules' list.") }
        return value
    }
}
