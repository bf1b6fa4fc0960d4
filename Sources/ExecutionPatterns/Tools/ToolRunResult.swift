import Subprocess
import SystemPackage

/// How a tool run ended.
public struct ToolRunResult: Sendable {
    public let executable: FilePath
    public let arguments: [String]
    /// How the process ended; always set by `ToolGuard` (optional for source compatibility).
    public let status: TerminationStatus?
    /// True if the run was stopped because it exceeded its timeout (its process group was killed).
    public let timedOut: Bool
    public let standardOutput: String
    public let standardError: String
    public let duration: Duration
    /// True if stdout or stderr went past the run's output limit; each keeps its first `outputLimit` bytes.
    public let outputTruncated: Bool

    /// Exited with status 0 within the timeout.
    public var succeeded: Bool { !timedOut && status?.isSuccess == true }
}

/// Why a tool could not be run.
public struct ToolGuardError: Error, CustomStringConvertible {
    public enum Kind: Sendable {
        case unavailable(ToolCheckReport)
        /// The process could not be started.
        case launchFailed(String)
        /// The tool wrote more than `limit` bytes to stdout or stderr; the run (status included) with the output kept.
        ///
        /// The tool is not stopped for it: the rest is read and dropped, so it ran to its end or its timeout.
        case outputLimitExceeded(limit: Int, ToolRunResult)
    }

    public let tool: String
    public let kind: Kind

    var isOutputLimitExceeded: Bool {
        if case .outputLimitExceeded = kind { return true }
        return false
    }

    public var description: String {
        switch kind {
        case .unavailable(let report): "Could not run '\(tool)': \(report)"
        case .launchFailed(let why): "Could not start '\(tool)': \(why)."
        case .outputLimitExceeded(let limit, let run):
            "The output of '\(tool)' went past the limit of \(limit) bytes (the first \(limit) of stdout and of stderr are kept); it \(run.timedOut ? "timed out" : "ended with \(run.status.map { "\($0)" } ?? "an unknown status")")."
        }
    }
}
