#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation
import Results
import SystemCalls

/// The files of a trial's directory as they are on the backing directory:
/// what the oracle judges, read with plain system calls that never go
/// through the mount (after a power loss they see the post-crash state).
struct GroundTruth {
    /// Relative path to bytes, for every regular file (the setup's `bin/` left out).
    let files: [String: [UInt8]]
    /// Relative paths of every directory entry, files and directories alike, for `absent` checks.
    let entries: [String]

    /// Reads the tree under `directory`.
    static func read(_ directory: String) -> GroundTruth {
        var files: [String: [UInt8]] = [:]
        var entries: [String] = []
        func walk(_ relative: String) {
            let path = relative.isEmpty ? directory : directory + "/" + relative
            guard case .success(let stream) = Syscall.pointer({ opendir(path) }) else { return }
            defer { Syscall.closedir(stream) }
            while case .success(let entry?) = Syscall.readdir(stream) {
                let name = withUnsafePointer(to: entry.pointee.d_name) {
                    $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                }
                if name == "." || name == ".." { continue }
                let child = relative.isEmpty ? name : relative + "/" + name
                if relative.isEmpty && name == "bin" { continue }
                entries.append(child)
                var info = stat()
                guard case .success = Syscall.run({ lstat(directory + "/" + child, &info) }) else { continue }
                switch info.st_mode & S_IFMT {
                case S_IFDIR: walk(child)
                case S_IFREG: files[child] = readFile(directory + "/" + child)
                default: break
                }
            }
        }
        walk("")
        return GroundTruth(files: files, entries: entries.sorted())
    }

    static func readFile(_ path: String) -> [UInt8]? {
        guard case .success(let fd) = Syscall.run({ open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) }) else { return nil }
        defer { Syscall.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            guard case .success(let n) = Syscall.count({ chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) } }), n > 0 else { break }
            bytes += chunk[0..<n]
        }
        return bytes
    }

    /// What a report shows of the tree: every file with its size and hash.
    var states: [FileState] {
        files.keys.sorted().map { path in
            let bytes = files[path]!
            return FileState(path: path, exists: true, size: bytes.count, sha256: Self.sha256(bytes))
        }
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}
