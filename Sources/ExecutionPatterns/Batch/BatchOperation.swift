import SystemPackage

/// One named step of a batch.
public struct BatchOperation: Sendable {
    /// What the step does.
    public enum Action: Sendable {
        /// Reads a file in full; its bytes are the step's result.
        case read(FilePath)
        /// Writes bytes atomically (EXEC-004), replacing the file if it exists.
        case write(FilePath, [UInt8])
        /// Copies atomically.
        case copy(from: FilePath, to: FilePath)
        /// Moves atomically.
        case move(from: FilePath, to: FilePath)
        case delete(FilePath)
        /// Runs a tool found on PATH; `modifies` lists the files it may change, which are backed up so the step can be undone.
        case runTool(String, arguments: [String], modifies: [FilePath] = [], workingDirectory: FilePath? = nil, timeout: Duration = .seconds(60))
    }

    public let name: String
    public let action: Action
    /// Names of the operations that must run before this one.
    public var dependencies: [String]

    public init(_ name: String, _ action: Action, after dependencies: [String] = []) {
        self.name = name
        self.action = action
        self.dependencies = dependencies
    }
}

/// A precondition of one operation that does not hold.
public struct PreconditionFailure: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case sourceMissing(FilePath)
        /// A source that an earlier operation of the batch deletes or moves away.
        case sourceRemovedEarlier(FilePath, by: String)
        case sourceNotRegularFile(FilePath)
        case sourceUnreadable(FilePath, Errno)
        /// A move's source directory does not let the source be removed from it.
        case sourceDirectoryNotWritable(FilePath, Errno)
        /// A tool's working directory does not exist (or is not a directory).
        case workingDirectoryMissing(FilePath)
        case targetDirectoryMissing(FilePath)
        case targetDirectoryNotWritable(FilePath, Errno)
        case targetMissing(FilePath)
        /// The path to write, replace or delete is a directory.
        case targetIsDirectory(FilePath)
        case insufficientSpace(directory: FilePath, needed: UInt64, available: UInt64)
        case toolUnavailable(ToolProblem)
        case duplicateName
        case unknownDependency(String)
        case dependencyCycle([String])
    }

    /// The operation whose precondition failed.
    public let operation: String
    public let kind: Kind

    public var description: String {
        let op = "Operation '\(operation)'"
        switch kind {
        case .sourceMissing(let p): return "\(op): the source \(p) does not exist."
        case .sourceRemovedEarlier(let p, let by): return "\(op): the source \(p) is deleted or moved away by '\(by)', which runs first."
        case .sourceNotRegularFile(let p): return "\(op): the source \(p) is not a regular file."
        case .sourceUnreadable(let p, let e): return "\(op): the source \(p) is not readable: \(e) (errno \(e.rawValue))."
        case .sourceDirectoryNotWritable(let d, let e):
            return "\(op): the source's directory \(d) is not writable, so the source cannot be moved out of it: \(e) (errno \(e.rawValue))."
        case .workingDirectoryMissing(let d): return "\(op): the working directory \(d) does not exist or is not a directory."
        case .targetDirectoryMissing(let d): return "\(op): the target directory \(d) does not exist."
        case .targetDirectoryNotWritable(let d, let e): return "\(op): the target directory \(d) is not writable: \(e) (errno \(e.rawValue))."
        case .targetMissing(let p): return "\(op): \(p) does not exist, so it cannot be deleted."
        case .targetIsDirectory(let p): return "\(op): \(p) is a directory; only files can be written, replaced or deleted."
        case .insufficientSpace(let d, let needed, let available):
            return "\(op): the batch writes \(needed) bytes to the filesystem of \(d), which has \(available) bytes free."
        case .toolUnavailable(let problem): return "\(op): \(problem)"
        case .duplicateName: return "\(op): another operation has the same name."
        case .unknownDependency(let d): return "\(op): it depends on '\(d)', which is not in the batch."
        case .dependencyCycle(let names): return "\(op): its dependencies form a cycle: \(names.joined(separator: " -> "))."
        }
    }
}

/// What a completed operation produced.
public enum BatchStepResult: Sendable {
    case read([UInt8])
    case done
    case tool(ToolRunResult)
}

/// Why an operation failed while the batch was running.
public struct BatchStepError: Error, CustomStringConvertible {
    public let operation: String
    public let underlying: any Error

    public var description: String { "Operation '\(operation)' failed: \(underlying)" }
}

/// How a batch ended: whole, not at all, or undone.
public enum BatchOutcome: Sendable {
    /// Every operation ran; `results` by name. `leftoverBackups` lists backups that could not be removed (harmless).
    case applied(results: [String: BatchStepResult], leftoverBackups: [FilePath])
    /// Preconditions failed; nothing was run. Every failure is listed.
    case rejected([PreconditionFailure])
    /// An operation failed; everything already done was undone (in reverse order).
    /// `rollbackFailures` is empty when the undo was complete.
    case rolledBack(failed: BatchStepError, undone: [String], rollbackFailures: [String])

    public var isApplied: Bool {
        if case .applied = self { return true }
        return false
    }
}
