#if canImport(Glibc)
import Glibc
#endif
import SystemCalls

/// Reads scenario files and lists scenario directories through `Syscall`,
/// the project's one chokepoint for system calls.
enum ScenarioFiles {
    /// The whole file, or a sentence saying why it cannot be read.
    static func read(_ path: String) -> Result<[UInt8], ScenarioError> {
        let fd: Int32
        switch Syscall.run({ open(path, O_RDONLY | O_CLOEXEC) }) {
        case .success(let opened): fd = opened
        case .failure(let errno):
            let why = errno == .noSuchFileOrDirectory ? "does not exist; check the path." : "cannot be opened (\(errno)); check its permissions."
            return .failure(ScenarioError(file: path, field: "", message: "the scenario file \(why)"))
        }
        defer { Syscall.close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let result = buffer.withUnsafeMutableBytes { raw in Syscall.count { Glibc.read(fd, raw.baseAddress, raw.count) } }
            switch result {
            case .success(0): return .success(bytes)
            case .success(let n): bytes.append(contentsOf: buffer[0..<n])
            case .failure(let errno):
                let why = errno == .isDirectory ? "is a directory; name a .yaml file or give the directory as a suite." : "cannot be read (\(errno))."
                return .failure(ScenarioError(file: path, field: "", message: "the scenario file \(why)"))
            }
            if bytes.count > ScenarioLimits.maximumFileBytes {
                return .failure(ScenarioError(file: path, field: "", message: "the scenario file is larger than \(ScenarioLimits.maximumFileBytes) bytes; a scenario is a short YAML text."))
            }
        }
    }

    /// Whether `path` is a directory (following symbolic links).
    static func isDirectory(_ path: String) -> Bool {
        identity(ofDirectory: path) != nil
    }

    /// The device and inode of a directory (following symbolic links), or nil if it is none.
    private static func identity(ofDirectory path: String) -> [UInt64]? {
        var info = stat()
        guard case .success = Syscall.run({ stat(path, &info) }), (info.st_mode & S_IFMT) == S_IFDIR else { return nil }
        return [UInt64(info.st_dev), UInt64(info.st_ino)]
    }

    /// Every `*.yaml` file below `directory`, recursively, sorted by path.
    /// Symbolic links to directories are followed, each directory once, so
    /// a link back to a parent cannot loop.
    static func yamlFiles(under directory: String) -> Result<[String], ScenarioError> {
        var found: [String] = []
        var pending = [directory]
        var seen: Set<[UInt64]> = []
        while let current = pending.popLast() {
            guard let id = identity(ofDirectory: current), seen.insert(id).inserted else { continue }
            let stream: OpaquePointer
            switch Syscall.pointer({ opendir(current) }) {
            case .success(let opened): stream = opened
            case .failure(let errno):
                return .failure(ScenarioError(file: current, field: "", message: "the scenario directory cannot be listed (\(errno)); check the path."))
            }
            defer { Syscall.closedir(stream) }
            while true {
                let entry: UnsafeMutablePointer<dirent>?
                switch Syscall.readdir(stream) {
                case .success(let next): entry = next
                case .failure(let errno):
                    return .failure(ScenarioError(file: current, field: "", message: "the scenario directory cannot be read (\(errno))."))
                }
                guard let entry else { break }
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                if name == "." || name == ".." || name.hasPrefix(".") { continue }
                let path = current.hasSuffix("/") ? current + name : current + "/" + name
                if isDirectory(path) {
                    pending.append(path)
                } else if name.hasSuffix(".yaml") {
                    found.append(path)
                }
            }
        }
        return .success(found.sorted())
    }
}

/// The bounds the loader enforces, so that no value in a scenario can trap
/// a conversion or make a trial unreasonably large.
public enum ScenarioLimits {
    /// The largest scenario file read.
    public static let maximumFileBytes = 1 << 20
    /// The largest file a setup or a task may create (filler or random bytes).
    public static let maximumSize = 1 << 30
    /// The longest timeout, recovery cost or delay written in a scenario, in seconds.
    public static let maximumSeconds: Double = 24 * 3600
    /// The most trials per arm.
    public static let maximumTrials = 1_000_000
    /// The most reruns in the modelled time to a correct state.
    public static let maximumReruns = 1000
}
