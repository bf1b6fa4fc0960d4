#if canImport(Glibc)
import Glibc
#endif
import SystemCalls

/// The mounts of this process's mount namespace, read from
/// /proc/self/mountinfo.
public enum MountTable {
    public struct Entry: Equatable, Sendable {
        public var mountpoint: String
        public var fileSystemType: String
        public var source: String
        /// The device number's minor part: the FUSE connection's number in
        /// /sys/fs/fuse/connections.
        public var minor: UInt32
        /// "major:minor", the name of the mount's entry in /sys/class/bdi.
        public var device: String
    }

    public static func entries() -> [Entry] {
        guard let text = readWholeFile("/proc/self/mountinfo") else { return [] }
        var result: [Entry] = []
        for line in text.split(separator: "\n") {
            // id parent major:minor root mountpoint options [optional...] - type source superopts
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count >= 10, let dash = fields.firstIndex(of: "-"), dash + 2 < fields.count else { continue }
            let device = fields[2].split(separator: ":")
            let minor = device.count == 2 ? UInt32(device[1]) ?? 0 : 0
            result.append(Entry(
                mountpoint: unescape(fields[4]),
                fileSystemType: String(fields[dash + 1]),
                source: unescape(fields[dash + 2]),
                minor: minor,
                device: String(fields[2])))
        }
        return result
    }

    /// The mount whose mount point is exactly `path` (canonical), the last
    /// one if several are stacked.
    public static func entry(at path: String) -> Entry? {
        entries().last { $0.mountpoint == path }
    }

    /// mountinfo writes space, tab, newline and backslash as octal escapes.
    private static func unescape(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var bytes: [UInt8] = []
        var utf8 = Array(field.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "\\"), utf8.count >= 3,
               let value = UInt8(String(decoding: utf8.prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(value)
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Reads a small file (a /proc or /sys entry) whole.
func readWholeFile(_ path: String) -> String? {
    guard case .success(let fd) = Syscall.run({ open(path, O_RDONLY | O_CLOEXEC) }) else { return nil }
    defer { Syscall.close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = Syscall.count { chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } }
        guard case .success(let count) = n, count > 0 else { break }
        bytes.append(contentsOf: chunk[0..<count])
    }
    return String(decoding: bytes, as: UTF8.self)
}
