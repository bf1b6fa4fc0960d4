import SystemPackage

/// One fact about a file that must hold after an action.
public enum FileCheck: Sendable, Equatable, CustomStringConvertible {
    /// The file exists and can be read to the end.
    case exists
    /// Nothing exists at the path.
    case absent
    case minimumSize(Int)
    case exactSize(Int)
    /// The SHA-256 of the content, as 64 hex digits.
    case sha256(String)
    case contentEquals([UInt8])
    /// The content validates as this format (EXEC-001's parsers).
    case parses(as: FileFormat)
    /// The file's mtime is not older than the moment the action started.
    case modifiedSinceStart
    /// No temporary file for this path is left in its directory.
    case noTemporaryFiles

    public var description: String {
        switch self {
        case .exists: "exists"
        case .absent: "absent"
        case .minimumSize(let n): "at least \(n) bytes"
        case .exactSize(let n): "exactly \(n) bytes"
        case .sha256(let h): "SHA-256 \(h.prefix(16))…"
        case .contentEquals(let b): "content equal to the expected \(b.count) bytes"
        case .parses(let f): "parses as \(f)"
        case .modifiedSinceStart: "modified since the action started"
        case .noTemporaryFiles: "no leftover temporary files"
        }
    }
}

/// The checks for one path.
public struct FileExpectation: Sendable, Equatable {
    public var path: FilePath
    public var checks: [FileCheck]

    public init(_ path: FilePath, _ checks: [FileCheck]) {
        self.path = path
        self.checks = checks
    }
}

/// A check that did not hold, with what was found instead.
public struct CheckFailure: Sendable, Equatable, CustomStringConvertible {
    public let path: FilePath
    public let check: FileCheck
    /// What was on disk, in words.
    public let found: String

    public var description: String { "\(path): expected \(check), found \(found)" }
}

/// What the verifier saw for a file that exists: measured from the bytes it read itself.
public struct FileEvidence: Sendable, Equatable {
    public let path: FilePath
    public let size: Int
    public let sha256: String

    public init(path: FilePath, size: Int, sha256: String) {
        self.path = path
        self.size = size
        self.sha256 = sha256
    }
}

/// The three ways an action can end, judged by the disk and not by the action's word.
public enum VerificationOutcome<Value: Sendable>: Sendable {
    /// The action said it succeeded and every check holds.
    case verified(Value, [FileEvidence])
    /// The action said it succeeded, but the disk disagrees (the seed's HALLUCINATED_SUCCESS).
    case claimedSuccessButWrong(Value, [CheckFailure])
    /// The action reported a failure; the checks that do not hold are listed for the diagnosis.
    case failed(any Error, [CheckFailure])

    /// True only for `.verified`.
    public var isVerified: Bool {
        if case .verified = self { return true }
        return false
    }
}
