/// The process behind a filesystem call, as FUSE reports it.
public struct Caller: Sendable, Hashable {
    /// The caller's process id.
    public var pid: Int32
    /// The caller's user id.
    public var uid: UInt32
    /// The caller's group id.
    public var gid: UInt32

    /// Creates a caller.
    public init(pid: Int32, uid: UInt32 = 0, gid: UInt32 = 0) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }
}

/// Finds a process's name and executable; FaultFS reads /proc, tests pass a table.
///
/// The engine calls it only when a call has already matched a rule's path and
/// operations and that rule filters callers by name or executable, because
/// resolving a pid costs system calls and allocations.
public protocol CallerResolver: Sendable {
    /// The process name (`comm`) of `pid`, or nil if the process is gone.
    func name(of pid: Int32) -> String?
    /// The executable path of `pid`, or nil if the process is gone.
    func executable(of pid: Int32) -> String?
}
