import SystemPackage

/// Why a file could not be handed to its handler: a value, never a crash.
public struct FileContentError: ErrnoCarrying, Equatable, CustomStringConvertible {
    /// The kinds of problems, from "cannot read" to "reads but is wrong".
    public enum Kind: Sendable, Equatable {
        /// A system call failed (missing file, permission, I/O error).
        case unreadable(FileSystemError)
        /// The path is a directory, device or socket.
        case notRegularFile
        /// Larger than the registry's size limit.
        case tooLarge(size: Int, limit: Int)
        /// Zero bytes (or only a byte order mark).
        case empty
        /// `read` hit end of file before the size `fstat` reported: a short read or a file cut while being read.
        case shortRead(expected: Int, read: Int)
        /// The content is cut off in the middle of a value (unterminated string, missing closing bracket).
        case truncated(String)
        /// Not UTF-8 text (or binary).
        case invalidEncoding(String)
        /// A syntax error in the declared format.
        case syntax(String)
        /// The content is valid in another format than the extension says.
        case contentMismatch(declared: FileFormat, detected: FileFormat)
        /// The content is valid but does not decode into the requested type.
        case schema(String)
        /// The path has no extension and dispatch is by extension.
        case noExtension
        /// No handler is registered for the extension.
        case unsupportedExtension(String)
        /// Dispatch by content found nothing it recognizes.
        case unrecognizedContent
        /// The deadline passed before the whole file was read.
        case deadlineExceeded(bytesRead: Int)
    }

    /// The file.
    public let path: FilePath
    /// The format the file was checked as, when one was chosen.
    public let format: FileFormat?
    /// What is wrong.
    public let kind: Kind
    /// 1-based line of the problem, when it has a position.
    public let line: Int?
    /// 1-based column (in characters) of the problem, when it has a position.
    public let column: Int?

    public init(path: FilePath, format: FileFormat?, kind: Kind, line: Int? = nil, column: Int? = nil) {
        self.path = path
        self.format = format
        self.kind = kind
        self.line = line
        self.column = column
    }

    public var underlyingErrno: Errno? {
        if case .unreadable(let e) = kind { return e.errno }
        return nil
    }

    public var description: String {
        let at = line.map { " at line \($0), column \(column ?? 1)" } ?? ""
        let as_ = format.map { " as \($0)" } ?? ""
        switch kind {
        case .unreadable(let e): return e.description
        case .notRegularFile: return "Could not load \(path): it is not a regular file."
        case .tooLarge(let size, let limit): return "Refused to load \(path): it has \(size) bytes, more than the limit of \(limit)."
        case .empty: return "Could not load \(path)\(as_): the file is empty."
        case .shortRead(let expected, let read):
            return "Could not load \(path)\(as_): read returned end of file after \(read) of the \(expected) bytes fstat reported (short read or a file cut while being read)."
        case .truncated(let m): return "Could not load \(path)\(as_): the content is truncated\(at): \(m)."
        case .invalidEncoding(let m): return "Could not load \(path)\(as_): wrong encoding\(at): \(m)."
        case .syntax(let m): return "Could not parse \(path)\(as_)\(at): \(m)."
        case .contentMismatch(let declared, let detected):
            return "Could not load \(path): its extension says \(declared) but the content is \(detected)\(at.isEmpty ? "" : " (the \(declared) parse failed\(at))")."
        case .schema(let m): return "Could not decode \(path)\(as_): \(m)."
        case .noExtension: return "Could not choose a handler for \(path): it has no extension."
        case .unsupportedExtension(let ext): return "Could not choose a handler for \(path): no handler is registered for the extension '.\(ext)'."
        case .unrecognizedContent: return "Could not choose a handler for \(path): its content matches no registered format."
        case .deadlineExceeded(let n): return "Stopped reading \(path) after \(n) bytes: the deadline passed."
        }
    }
}
