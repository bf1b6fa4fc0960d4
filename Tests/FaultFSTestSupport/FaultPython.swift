import Foundation

/// Runs Python snippets in a child process: the processes whose calls the
/// fault tests inject faults into, while the test process checks the
/// backing directory.
public enum FaultPython {
    /// Runs `script` with `python3 -c`; `arguments` become `sys.argv[1:]`.
    /// A non-zero exit or a signal is a result, not an error.
    public static func run(_ script: String, _ arguments: [String] = [], timeout: Double = 60) throws -> ToolResult {
        try Tool.run(Tool.python3, ["-c", script] + arguments, cwd: "/", timeout: timeout)
    }

    /// Runs `script`, which must exit 0 and print one JSON value on its last
    /// line of output, and returns that value.
    public static func json(_ script: String, _ arguments: [String] = [], timeout: Double = 60) throws -> Any {
        let result = try run(script, arguments, timeout: timeout)
        guard result.succeeded else { throw SupportError("the Python child failed: \(result)") }
        guard let last = result.stdout.split(separator: "\n").last,
              let value = try? JSONSerialization.jsonObject(with: Data(last.utf8), options: [.fragmentsAllowed]) else {
            throw SupportError("the Python child printed no JSON on its last line: \(result)")
        }
        return value
    }

    /// `json` for a script that prints a list of strings.
    public static func strings(_ script: String, _ arguments: [String] = [], timeout: Double = 60) throws -> [String] {
        let value = try json(script, arguments, timeout: timeout)
        guard let list = value as? [Any] else { throw SupportError("the Python child printed \(value), not a list.") }
        return list.map { "\($0)" }
    }

    /// A Python prelude for the child scripts: `call(f)` runs `f()` and
    /// returns its result (bytes as hex, an int or str as is, anything else
    /// as "ok"), or the errno name (e.g. "ENOENT") it failed with;
    /// `ctl(sock, request)` sends one request over a mount's control socket
    /// from the child itself (so it lands between the child's own calls)
    /// and returns the parsed answer.
    public static let prelude = """
        import errno, json, os, socket, sys, time
        def ctl(sock, request):
            s = socket.socket(socket.AF_UNIX)
            s.connect(sock)
            s.sendall((json.dumps(request) + "\\n").encode())
            answer = b""
            while not answer.endswith(b"\\n"):
                chunk = s.recv(65536)
                if not chunk:
                    raise OSError(errno.ECONNRESET, "the control socket closed before answering")
                answer += chunk
            s.close()
            return json.loads(answer)
        def call(f):
            try:
                r = f()
            except OSError as e:
                return errno.errorcode.get(e.errno, str(e.errno))
            if isinstance(r, bytes):
                return r.hex()
            if isinstance(r, (int, str)) and not isinstance(r, bool):
                return r
            return "ok"

        """
}
