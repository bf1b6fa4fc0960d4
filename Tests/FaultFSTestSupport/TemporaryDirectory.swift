#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemCalls
import SystemPackage

/// A fresh directory under /tmp, made with mkdtemp and world-traversable
/// (0755) so that tests that act as another user (uid 65534) can reach what
/// is inside it.
///
/// `remove()` deletes it without crossing into another file system, so a
/// file system left mounted by a failed test is never emptied through the
/// mount (that would delete its backing files).
public final class TemporaryDirectory {
    public let path: String

    /// - Parameter label: a word put in the directory's name, to tell tests
    ///   apart when one is left behind.
    public init(_ label: String = "test") throws {
        var template = Array("/tmp/faultbench-\(label).XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else {
            throw SupportError("mkdtemp in /tmp failed: \(Errno(rawValue: errno)).")
        }
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        if case .failure(let e) = FS.chmod(path, 0o755) {
            throw SupportError("chmod 0755 of the temporary directory '\(path)' failed: \(e).")
        }
    }

    /// A path inside this directory.
    public func path(_ relative: String) -> String { path + "/" + relative }

    /// Makes a subdirectory (and returns its path).
    @discardableResult
    public func makeDirectory(_ relative: String, mode: mode_t = 0o755) throws -> String {
        let full = path(relative)
        if case .failure(let e) = FS.mkdir(full, mode) {
            throw SupportError("mkdir '\(full)' failed: \(e).")
        }
        return full
    }

    /// Deletes the directory and everything in it, unless something below it
    /// is still mounted (then it throws, and the mount is left for `cleanUp`
    /// of its fixture rather than emptied).
    public func remove() throws {
        let mounted = MountTable.mountPoints().filter { $0 == path || $0.hasPrefix(path + "/") }
        if !mounted.isEmpty {
            throw SupportError("not removing '\(path)': \(mounted.joined(separator: ", ")) is still mounted below it.")
        }
        guard case .success(let root) = FS.lstat(path) else { return }
        try Self.removeTree(path, device: root.st_dev)
    }

    /// Removes a tree without crossing into another file system (like
    /// `rm -rf --one-file-system`).
    private static func removeTree(_ path: String, device: dev_t) throws {
        let st: Glibc.stat
        switch FS.lstat(path) {
        case .success(let s): st = s
        case .failure(.noSuchFileOrDirectory): return
        case .failure(let e): throw SupportError("lstat '\(path)' failed while removing a temporary directory: \(e).")
        }
        if st.st_dev != device {
            throw SupportError("not removing '\(path)': it is on another file system (a mount left behind?).")
        }
        if fileType(st.st_mode) == S_IFDIR {
            let names: [String]
            switch FS.listDirectory(path) {
            case .success(let n): names = n
            case .failure(let e): throw SupportError("listing '\(path)' failed while removing a temporary directory: \(e).")
            }
            for name in names { try removeTree(path + "/" + name, device: device) }
            if case .failure(let e) = FS.rmdir(path) {
                throw SupportError("rmdir '\(path)' failed while removing a temporary directory: \(e).")
            }
        } else if case .failure(let e) = FS.unlink(path) {
            throw SupportError("unlink '\(path)' failed while removing a temporary directory: \(e).")
        }
    }
}

/// Runs `body` with a fresh temporary directory and removes it afterwards,
/// whether `body` returned or threw.
public func withTemporaryDirectory<T>(_ label: String = "test", _ body: (TemporaryDirectory) throws -> T) throws -> T {
    let directory = try TemporaryDirectory(label)
    let result: T
    do {
        result = try body(directory)
    } catch {
        try? directory.remove()
        throw error
    }
    try directory.remove()
    return result
}
