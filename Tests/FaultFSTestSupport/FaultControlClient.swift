#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import FaultFS

/// Speaks the control protocol of a mount started with `--control SOCKET`:
/// one JSON object per line each way, one connection per request, with the
/// same `ControlRequest` and `ControlReply` types as the server.
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

    /// Sends a request and returns the reply, whether or not it is `ok`.
    public func send(_ request: ControlRequest) throws -> ControlReply {
        try reply(exchange(request.line))
    }

    /// Parses a reply line, e.g. one `exchange` got for a malformed request.
    public func reply(_ line: String) throws -> ControlReply {
        do { return try ControlReply(line: line) } catch { throw SupportError(error.description) }
    }

    /// Sends a request that must succeed (`"ok": true`).
    @discardableResult
    public func must(_ request: ControlRequest) throws -> ControlReply {
        let reply = try send(request)
        guard reply.ok else { throw SupportError("control request \(request.line) failed: \(reply.line)") }
        return reply
    }

    /// Arms a YAML plan; returns the new rule ids.
    @discardableResult
    public func arm(_ yaml: String) throws -> [UInt64] {
        try must(.arm(plan: yaml)).ids ?? []
    }

    /// Every trace line not yet drained.
    public func trace(drain: Bool = false) throws -> [String] {
        try must(.trace(drain: drain)).lines ?? []
    }
}
