#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import SystemCalls

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

    /// Writes text to stdout as it is (a report ends in its own newline).
    static func text(_ text: String) {
        write(to: 1, text)
    }

    static func error(_ text: String) {
        write(to: 2, "faultbench: " + text + "\n")
    }

    /// Straight to the descriptor, unbuffered: C's `stdout` is shared
    /// mutable state that Swift 6 rightly refuses to touch.
    private static func write(to fd: Int32, _ text: String) {
        var remaining = Array(text.utf8)[...]
        while !remaining.isEmpty {
            // Through the chokepoint, which retries EINTR; a closed
            // stdout or stderr ends the write, as there is no one to tell.
            let n = remaining.withUnsafeBytes { bytes in Syscall.count { Glibc.write(fd, bytes.baseAddress, bytes.count) } }
            guard case .success(let count) = n, count > 0 else { return }
            remaining = remaining.dropFirst(count)
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
            // Exit 1, not ArgumentParser's 64: a usage mistake is bad input like
            // any other, and the CI gate's codes (2, 3, 4) must stay unambiguous.
            Glibc.exit(1)
        }
    }
}
