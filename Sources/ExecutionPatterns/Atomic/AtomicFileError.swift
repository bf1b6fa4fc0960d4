import SystemPackage

/// Why an atomic write, copy or move did not complete.
public struct AtomicFileError: ErrnoCarrying, CustomStringConvertible {
    /// Which operation failed.
    public enum Operation: String, Sendable {
        case write, copy, move
    }

    /// What went wrong.
    public enum Kind: Sendable, Equatable {
        case system(FileSystemError)
        /// `replaceExisting` was false and the destination exists.
        case destinationExists
        case sourceNotRegularFile(FilePath)
        /// A step hook stopped the operation after this step, as a crash there would.
        case abandoned(AtomicFile.Step)
    }

    public let operation: Operation
    public let destination: FilePath
    public let kind: Kind
    /// True if the new content had already replaced the destination (only its durability is in doubt).
    public let published: Bool

    init(_ operation: Operation, _ destination: FilePath, _ kind: Kind, published: Bool = false) {
        self.operation = operation
        self.destination = destination
        self.kind = kind
        self.published = published
    }

    public var underlyingErrno: Errno? {
        if case .system(let e) = kind { return e.errno }
        return nil
    }

    public var description: String {
        let what = "Could not atomically \(operation.rawValue) \(destination)"
        let state = published
            ? " The new content is in place but may not survive a power loss."
            : " The destination was not changed."
        switch kind {
        case .system(let e): return "\(what): \(e)\(state)"
        case .destinationExists: return "\(what): the destination exists and replacing it was not allowed."
        case .sourceNotRegularFile(let s): return "\(what): the source \(s) is not a regular file."
        case .abandoned(let step): return "\(what): abandoned after step '\(step.rawValue)' (simulated crash)."
        }
    }
}
