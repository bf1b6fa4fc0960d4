#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemCalls
import SystemPackage

/// One line of /proc/self/mountinfo.
public struct MountEntry: Sendable, Equatable, CustomStringConvertible {
    /// major:minor of the mounted file system.
    public let device: String
    public let mountPoint: String
    public let mountOptions: [String]
    /// e.g. `fuse.faultbench`.
    public let fsType: String
    /// The fsname, e.g. `faultbench`.
    public let source: String
    public let superOptions: [String]

    public var description: String {
        "\(source) on \(mountPoint) type \(fsType) (\(mountOptions.joined(separator: ",")); \(superOptions.joined(separator: ",")))"
    }
}

/// The kernel's view of what is mounted, read fresh on every call.
///
/// Reading these files never touches a FUSE daemon, so they answer even when
/// a mount is hung or stale.
public enum MountTable {
    /// Every mount in this process's namespace, in mount order.
    public static func entries() -> [MountEntry] {
        readProcFile("/proc/self/mountinfo").split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            guard let dash = fields.firstIndex(of: "-"), dash >= 6, fields.count >= dash + 4 else { return nil }
            return MountEntry(
                device: fields[2],
                mountPoint: unescape(fields[4]),
                mountOptions: fields[5].split(separator: ",").map(String.init),
                fsType: fields[dash + 1],
                source: unescape(fields[dash + 2]),
                superOptions: fields[dash + 3].split(separator: ",").map(String.init))
        }
    }

    public static func mountPoints() -> [String] { entries().map(\.mountPoint) }

    /// The topmost mount at exactly `path` (a canonical path), if any.
    public static func entry(at path: String) -> MountEntry? {
        entries().last { $0.mountPoint == path }
    }

    /// The lines of /proc/self/mounts whose mount point is `path`.
    public static func mountsLines(at path: String) -> [String] {
        readProcFile("/proc/self/mounts").split(separator: "\n").map(String.init).filter { line in
            let fields = line.split(separator: " ")
            return fields.count > 1 && unescape(String(fields[1])) == path
        }
    }

    /// Whether `path` is a mount point in either /proc/self/mountinfo or
    /// /proc/self/mounts.
    public static func isMounted(_ path: String) -> Bool {
        entry(at: path) != nil || !mountsLines(at: path).isEmpty
    }

    /// Every FUSE mount whose mount point is `path` or below it.
    public static func fuseMounts(under path: String) -> [MountEntry] {
        entries().filter { ($0.mountPoint == path || $0.mountPoint.hasPrefix(path + "/")) && $0.fsType.hasPrefix("fuse") }
    }

    /// Undoes the octal escapes (\040 for space, ...) the kernel writes.
    static func unescape(_ field: String) -> String {
        var bytes: [UInt8] = []
        let source = Array(field.utf8)
        var i = 0
        while i < source.count {
            if source[i] == UInt8(ascii: "\\"), i + 3 < source.count,
               let value = UInt8(String(decoding: source[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                bytes.append(value)
                i += 4
            } else {
                bytes.append(source[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads a /proc file with plain read(2) calls from offset 0.
    static func readProcFile(_ path: String) -> String {
        guard case .success(let fd) = FS.open(path, O_RDONLY) else { return "" }
        defer { _ = FS.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        let capacity = chunk.count
        while case .success(let n) = Syscall.count({ chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, capacity) } }), n > 0 {
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The canonical form of an existing path (symlinks resolved), or the path
/// itself when it cannot be resolved.
public func canonicalPath(_ path: String) -> String {
    guard let resolved = realpath(path, nil) else { return path }
    defer { free(resolved) }
    return String(cString: resolved)
}
