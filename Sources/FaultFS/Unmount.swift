#if canImport(Glibc)
import Glibc
#endif
import CFuse
import SystemCalls
import SystemPackage

extension FaultFSServer {
    /// Clears a faultbench mount, also a stale one ("transport endpoint is
    /// not connected") or one with files still open (a lazy unmount).
    public static func unmount(_ mountpoint: String) -> Result<Void, MountError> {
        // realpath of a stale mount fails with ENOTCONN, so fall back to an
        // absolute version of the path as given.
        let path = (try? Preflight.canonical(mountpoint).get()) ?? absolute(mountpoint)
        guard let entry = MountTable.entry(at: path) else { return .failure(.notMounted(mountpoint)) }
        guard entry.fileSystemType == "fuse.faultbench" else {
            return .failure(.notFaultbenchMount(mountpoint, type: entry.fileSystemType))
        }
        if geteuid() == 0 {
            if case .failure(let e) = Syscall.run({ cfuse_umount2(path, cfuse_MNT_DETACH) }) {
                return .failure(.unmountFailed(mountpoint, reason: e.description))
            }
        } else if runProgram("fusermount3", ["-u", "-z", path]) != 0 {
            return .failure(.unmountFailed(mountpoint, reason: "fusermount3 -u -z failed"))
        }
        return .success(())
    }

    private static func absolute(_ path: String) -> String {
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        if trimmed.hasPrefix("/") { return trimmed }
        guard case .success(let cwd) = Syscall.pointer({ getcwd(nil, 0) }) else { return trimmed }
        defer { free(cwd) }
        return String(cString: cwd) + "/" + trimmed
    }
}
