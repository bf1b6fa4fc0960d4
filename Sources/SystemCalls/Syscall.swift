#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemPackage

/// The one place where faultbench calls into the kernel.
///
/// Every system call is made through these functions so that EINTR is
/// retried in exactly one spot and errno leaves as a typed `Errno` value,
/// never as a global read later by someone else. Two kinds of call keep
/// EINTR on purpose: `interruptible` waits, where the signal is the point,
/// and the hooks that stand in for libfuse's own device I/O
/// (FaultFS/Passthrough.swift), which must return -1 and errno as libfuse
/// expects.
public enum Syscall {
    /// Runs a call that returns -1 and sets errno on failure.
    @inline(__always)
    public static func run(_ call: () -> Int32) -> Result<Int32, Errno> {
        while true {
            let result = call()
            if result != -1 { return .success(result) }
            let code = errno
            if code == EINTR { continue }
            return .failure(Errno(rawValue: code))
        }
    }

    /// Runs a call that returns a byte count (or -1 and errno).
    @inline(__always)
    public static func count(_ call: () -> Int) -> Result<Int, Errno> {
        while true {
            let result = call()
            if result != -1 { return .success(result) }
            let code = errno
            if code == EINTR { continue }
            return .failure(Errno(rawValue: code))
        }
    }

    /// Runs a call that returns a pointer (or nil and errno).
    @inline(__always)
    public static func pointer<T>(_ call: () -> T?) -> Result<T, Errno> {
        while true {
            if let result = call() { return .success(result) }
            let code = errno
            if code == EINTR { continue }
            return .failure(Errno(rawValue: code))
        }
    }

    /// Runs a call that returns 0 or a positive errno (pthread style).
    @inline(__always)
    public static func direct(_ call: () -> Int32) -> Result<Void, Errno> {
        while true {
            let code = call()
            if code == 0 { return .success(()) }
            if code == EINTR { continue }
            return .failure(Errno(rawValue: code))
        }
    }
}

extension Result where Failure == Errno {
    /// The errno of a failed call, or nil.
    @inlinable
    public var errno: Errno? {
        if case .failure(let e) = self { return e }
        return nil
    }
}

extension Syscall {
    /// Closes a descriptor, never retrying: on Linux the descriptor is freed
    /// even when close reports EINTR, and a retry could close a descriptor
    /// another thread has just been given the same number for.
    @inline(__always)
    @discardableResult
    public static func close(_ fd: Int32) -> Result<Void, Errno> {
        #if canImport(Glibc)
        if Glibc.close(fd) == 0 { return .success(()) }
        #else
        if Musl.close(fd) == 0 { return .success(()) }
        #endif
        let code = errno
        return code == EINTR ? .success(()) : .failure(Errno(rawValue: code))
    }
}

extension Syscall {
    /// Runs a call once, without retrying EINTR: for the few waits where an
    /// interrupting signal is the point (a worker woken to stop).
    @inline(__always)
    public static func interruptible(_ call: () -> Int32) -> Result<Int32, Errno> {
        let result = call()
        if result != -1 { return .success(result) }
        return .failure(Errno(rawValue: errno))
    }

    /// Sleeps for the whole duration: a signal does not cut it short, the
    /// sleep resumes with the time that was left.
    public static func sleep(nanoseconds: UInt64) {
        var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1 && errno == EINTR { request = remaining }
    }

    /// The next entry of a directory stream: nil at the end, a failure if
    /// reading the directory failed (readdir reports both as NULL, told
    /// apart only by errno).
    @inline(__always)
    public static func readdir(_ stream: OpaquePointer) -> Result<UnsafeMutablePointer<dirent>?, Errno> {
        errno = 0
        #if canImport(Glibc)
        if let entry = Glibc.readdir(stream) { return .success(entry) }
        #else
        if let entry = Musl.readdir(stream) { return .success(entry) }
        #endif
        return errno == 0 ? .success(nil) : .failure(Errno(rawValue: errno))
    }
}

extension Syscall {
    /// Closes a directory stream and its descriptor, never retrying, for the
    /// reason `close` gives.
    @inline(__always)
    @discardableResult
    public static func closedir(_ stream: OpaquePointer) -> Result<Void, Errno> {
        #if canImport(Glibc)
        if Glibc.closedir(stream) == 0 { return .success(()) }
        #else
        if Musl.closedir(stream) == 0 { return .success(()) }
        #endif
        let code = errno
        return code == EINTR ? .success(()) : .failure(Errno(rawValue: code))
    }
}
