#if canImport(Glibc)
import Glibc
#endif
import CFuse
import FaultEngine
import SystemCalls

/// Finds the processes a crash rule names and signals them.
enum ProcessKiller {
    /// The processes a crash will signal, and the pids it was asked for
    /// that name no process.
    struct Victims: Sendable {
        var pids: [Int32] = []
        var missing: [Int32] = []
    }

    /// Whether `pid` may be signalled by the daemon: a single process, not
    /// the daemon itself. kill(0) would signal the daemon's own process
    /// group, kill(-1) every process it may signal, any other negative pid
    /// a whole group; plans and requests refuse those already, and this is
    /// the last guard before the system call, for pids that come from
    /// elsewhere (a request the kernel makes itself carries pid 0).
    static func maySignal(_ pid: Int32) -> Bool {
        pid > 0 && pid != getpid()
    }

    /// The pids matching any of `matches`, never the daemon nor a group.
    static func find(_ matches: [CallerMatch]) -> Victims {
        var pids = Set<Int32>()
        var missing: [Int32] = []
        let needsScan = matches.contains { if case .pid = $0 { return false } else { return true } }
        for match in matches {
            guard case .pid(let pid) = match, maySignal(pid) else { continue }
            // A process that is gone is reported, not silently skipped.
            if case .failure(.noSuchProcess) = Syscall.run({ Glibc.kill(pid, 0) }) {
                missing.append(pid)
            } else {
                pids.insert(pid)
            }
        }
        if needsScan {
            let resolver = ProcCallerResolver()
            for pid in allPids() where maySignal(pid) {
                for match in matches {
                    switch match {
                    case .pid: continue
                    case .name(let name): if resolver.name(of: pid) == name { pids.insert(pid) }
                    case .executable(let exe): if resolver.executable(of: pid) == exe { pids.insert(pid) }
                    }
                }
            }
        }
        return Victims(pids: pids.sorted(), missing: missing.sorted())
    }

    static func signal(_ pids: [Int32], _ signal: Int32) {
        // ESRCH (the process is gone already) is the only expected failure.
        for pid in pids where maySignal(pid) { _ = Syscall.run { Glibc.kill(pid, signal) } }
    }

    private static func allPids() -> [Int32] {
        guard case .success(let dir) = Syscall.pointer({ opendir("/proc") }) else { return [] }
        defer { Syscall.closedir(dir) }
        var pids: [Int32] = []
        while case .success(let entry?) = Syscall.readdir(dir) {
            if let pid = Int32(String(cString: cfuse_dirent_name(entry))) { pids.append(pid) }
        }
        return pids
    }
}

/// Names a caller from /proc, for rules that filter callers by name or
/// executable (the engine asks only for those).
struct ProcCallerResolver: CallerResolver {
    func name(of pid: Int32) -> String? {
        guard let text = readWholeFile("/proc/\(pid)/comm") else { return nil }
        return text.hasSuffix("\n") ? String(text.dropLast()) : text
    }

    func executable(of pid: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let read = Syscall.count { Glibc.readlink("/proc/\(pid)/exe", &buffer, buffer.count - 1) }
        guard case .success(let n) = read, n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
