#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser

/// A failure the user can act on: printed as one line, exit code 1.
struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

enum Output {
    /// Writes a line to stdout and flushes it at once: scripts wait for the
    /// "mounted" line while we keep running.
    static func line(_ text: String) {
        write(to: 1, text + "\n")
    }

    static func error(_ text: String) {
        write(to: 2, "faultbench: " + text + "\n")
    }

    /// Straight to the descriptor, unbuffered: C's `stdout` is shared
    /// mutable state that Swift 6 rightly refuses to touch.
    private static func write(to fd: Int32, _ text: String) {
        var remaining = Array(text.utf8)[...]
        while !remaining.isEmpty {
            let n = remaining.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            remaining = remaining.dropFirst(n)
        }
    }
}

enum Environment {
    static func value(_ name: String) -> String? {
        guard let raw = getenv(name) else { return nil }
        return String(cString: raw)
    }
}

extension Faultbench {
    /// Runs the command, printing a `Failure` as one `faultbench:` line.
    static func mainReportingFailures() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let failure as Failure {
            Output.error(failure.description)
            Glibc.exit(1)
        } catch {
            // Help and version requests print and exit 0 as usual; a usage
            // mistake becomes one line, like every other bad input.
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)
            }
            let message = Faultbench.message(for: error).split(separator: "\n").first.map(String.init) ?? "bad arguments"
            let trimmed = message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message
            Output.error("\(trimmed) (see faultbench --help)")
            Glibc.exit(code.rawValue)
        }
    }
}
