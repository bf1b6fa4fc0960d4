#if canImport(Glibc)
import Glibc
#endif
import SystemCalls

/// The client side of the control socket: one request line out, one answer
/// line back, one connection per request. The CLI's `faultbench ctl` and the
/// tests both speak through it.
public enum ControlChannel {
    /// A request that could not be sent or answered, as one sentence.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Sends `line` to the socket at `path` and returns the answer line
    /// (without its newline).
    /// - Parameter timeout: seconds to wait for the answer; a daemon that
    ///   never answers then fails the request instead of hanging it.
    public static func exchange(_ line: String, socket path: String, timeout: Int = 60) -> Result<String, Failure> {
        func failure(_ text: String) -> Result<String, Failure> { .failure(Failure(description: text)) }
        let opened = Syscall.run { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        guard case .success(let fd) = opened else { return failure("cannot create a socket: \(opened.errno!).") }
        defer { Syscall.close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            return failure("the control socket path '\(path)' is too long for a socket address.")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                Syscall.run { connect(fd, socketAddress, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        }
        if case .failure(let e) = connected {
            return failure("cannot connect to the control socket '\(path)': \(e); is faultbench mounted with --control \(path)?")
        }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        _ = Syscall.run { setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size)) }
        _ = Syscall.run { setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size)) }
        var pending = Array((line + "\n").utf8)[...]
        while !pending.isEmpty {
            // MSG_NOSIGNAL: a server that closes early (a request over its
            // size limit) must not kill this process with SIGPIPE; its
            // answer is then read below.
            let n = Syscall.count { pending.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
            guard case .success(let count) = n, count > 0 else { break }
            pending = pending.dropFirst(count)
        }
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !answer.contains(UInt8(ascii: "\n")) {
            let n = Syscall.count { chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } }
            switch n {
            case .failure(let e): return failure("no answer from the control socket '\(path)' to '\(line.prefix(200))': \(e).")
            case .success(0): break
            case .success(let count): answer += chunk[0..<count]; continue
            }
            break
        }
        guard let newline = answer.firstIndex(of: UInt8(ascii: "\n")) else {
            return failure("the control socket '\(path)' closed without a whole answer to '\(line.prefix(200))'.")
        }
        return .success(String(decoding: answer[..<newline], as: UTF8.self))
    }
}
