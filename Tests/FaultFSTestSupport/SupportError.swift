import SystemPackage

/// A failure of the test support itself: a mount that never appeared, a tool
/// that could not be started, a daemon that did not exit.
///
/// The message is a full sentence naming the path, the operation and what was
/// seen (the daemon's stderr included), because it is all a failing test shows.
public struct SupportError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// The value of a call that a test needs to succeed before it can go on
/// (setup, or a step whose failure makes the rest meaningless).
///
/// - Throws: a `SupportError` naming `what` and the errno.
@discardableResult
public func must<T>(_ result: Result<T, Errno>, _ what: @autoclosure () -> String) throws -> T {
    switch result {
    case .success(let value): return value
    case .failure(let e): throw SupportError("\(what()) failed: \(e) (errno \(e.rawValue)).")
    }
}
