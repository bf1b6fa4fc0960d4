import Subprocess
import SystemPackage

/// How a tool run ended.
public struct ToolRunResult: Sendable {
    public let executable: FilePath
    public let arguments: [String]
    /// nil only when the timeout fired and the process's status could not be collected.
    public let status: TerminationStatus?
    /// True if the run was stopped because it exceeded its timeout.
    public let timedOut: Bool
    public let standardOutput: String
    public let standardError: String
    public let duration: Duration

    /// Exited with status 0 within the timeout.
    public var succeeded: Bool { !timedOut && status?.isSuccess == true }
}

/// Why a tool could not be run.
public struct ToolGuardError: Error, CustomStringConvertible {
    public enum Kind: Sendable {
        case unavailable(ToolCheckReport)
        /// The process could not be started.
        case launchFailed(String)
    }

    public let tool: String
    public let kind: Kind

    public var description: String {
        switch kind {
        case .unavailable(let report): "Could not run '\(tool)': \(report)"
        case .launchFailed(let why): "Could not start '\(tool)': \(why)."
        }
    }
}
