#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
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
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SupportError("socket(AF_UNIX) failed: \(String(cString: strerror(errno))).") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw SupportError("the control socket path '\(socketPath)' is too long for a socket address.")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            throw SupportError("cannot connect to the control socket '\(socketPath)': \(String(cString: strerror(errno))).")
        }
        // A daemon that never answers must fail the test, not hang it.
        var limit = timeval(tv_sec: Int(timeout), tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var pending = Array((line + "\n").utf8)[...]
        while !pending.isEmpty {
            let n = pending.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw SupportError("the control socket '\(socketPath)' closed while sending '\(line)'.") }
            pending = pending.dropFirst(n)
        }
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !answer.contains(UInt8(ascii: "\n")) {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw SupportError("no answer from the control socket '\(socketPath)' to '\(line)': \(String(cString: strerror(errno))).") }
            if n == 0 { break }
            answer += chunk[0..<n]
        }
        guard let newline = answer.firstIndex(of: UInt8(ascii: "\n")) else {
            throw SupportError("the control socket '\(socketPath)' closed without a whole answer to '\(line)' (got '\(String(decoding: answer, as: UTF8.self))').")
        }
        return String(decoding: answer[..<newline], as: UTF8.self)
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
