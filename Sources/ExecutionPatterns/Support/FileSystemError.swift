#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

/// An error that carries the errno that caused it, so retry can classify it.
public protocol ErrnoCarrying: Error {
    /// The system error underneath, if there is one.
    var underlyingErrno: Errno? { get }
}

extension Errno: ErrnoCarrying {
    public var underlyingErrno: Errno? { self }
}

/// A failed system call on a file: what was attempted, on which path, and the errno.
public struct FileSystemError: ErrnoCarrying, Equatable, CustomStringConvertible {
    /// What was being done, as a verb phrase ("open for reading", "fsync").
    public let operation: String
    /// The file or directory the call was made on.
    public let path: FilePath
    /// The errno the call returned.
    public let errno: Errno

    /// Creates the error.
    public init(_ operation: String, _ path: FilePath, _ errno: Errno) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    public var underlyingErrno: Errno? { errno }

    public var description: String {
        "Could not \(operation) \(path): \(errno) (errno \(errno.rawValue))."
    }
}
