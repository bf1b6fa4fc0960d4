#if canImport(Glibc)
import Glibc
#endif
import CFuse
import SystemCalls
import SystemPackage

/// Checks everything that can be checked before mounting, so bad input gets
/// one clear message and nothing is mounted.
enum Preflight {
    /// The canonical backing and mount point paths, once both are usable.
    struct Paths {
        var backing: String
        var mountpoint: String
    }

    static func check(_ config: MountConfiguration) -> Result<Paths, MountError> {
        var st = stat()
        switch Syscall.run({ stat(config.backing, &st) }) {
        case .failure(.noSuchFileOrDirectory), .failure(.notDirectory):
            return .failure(.backingMissing(config.backing))
        case .failure(let e):
            return .failure(.backingInaccessible(config.backing, reason: e.description))
        case .success:
            if st.st_mode & S_IFMT != S_IFDIR { return .failure(.backingNotDirectory(config.backing)) }
        }

        switch Syscall.run({ stat(config.mountpoint, &st) }) {
        case .failure(.noSuchFileOrDirectory):
            return .failure(.mountpointMissing(config.mountpoint))
        case .failure(.socketNotConnected):
            return .failure(.mountpointStale(config.mountpoint))
        case .failure(let e):
            return .failure(.mountpointInaccessible(config.mountpoint, reason: e.description))
        case .success:
            if st.st_mode & S_IFMT != S_IFDIR { return .failure(.mountpointNotDirectory(config.mountpoint)) }
        }

        let backing: String, mountpoint: String
        switch canonical(config.backing) {
        case .success(let path): backing = path
        case .failure(let e): return .failure(.backingInaccessible(config.backing, reason: e.description))
        }
        switch canonical(config.mountpoint) {
        case .success(let path): mountpoint = path
        case .failure(let e): return .failure(.mountpointInaccessible(config.mountpoint, reason: e.description))
        }
        if mountpoint == backing || mountpoint.hasPrefix(backing == "/" ? "/" : backing + "/") {
            return .failure(.mountpointInsideBacking(mountpoint: config.mountpoint, backing: config.backing))
        }
        if MountTable.entry(at: mountpoint) != nil {
            return .failure(.mountpointAlreadyMounted(config.mountpoint))
        }
        switch isEmptyDirectory(mountpoint) {
        case .failure(let e): return .failure(.mountpointInaccessible(config.mountpoint, reason: e.description))
        case .success(false): return .failure(.mountpointNotEmpty(config.mountpoint))
        case .success(true): break
        }

        switch Syscall.run({ open(config.fuseDevice, O_RDWR | O_CLOEXEC) }) {
        case .failure(.noSuchFileOrDirectory):
            return .failure(.deviceMissing(config.fuseDevice))
        case .failure(let e):
            return .failure(.deviceNotPermitted(config.fuseDevice, reason: e.description))
        case .success(let fd):
            Syscall.close(fd)
        }

        if findFusermount() == nil { return .failure(.fusermountMissing) }
        return .success(Paths(backing: backing, mountpoint: mountpoint))
    }

    static func canonical(_ path: String) -> Result<String, Errno> {
        Syscall.pointer { realpath(path, nil) }.map { resolved in
            defer { free(resolved) }
            return String(cString: resolved)
        }
    }

    static func isEmptyDirectory(_ path: String) -> Result<Bool, Errno> {
        let opened = Syscall.pointer { opendir(path) }
        guard case .success(let dir) = opened else { return .failure(opened.errno!) }
        defer { Syscall.closedir(dir) }
        while true {
            switch Syscall.readdir(dir) {
            case .failure(let e):
                return .failure(e)
            case .success(nil):
                return .success(true)
            case .success(let entry?):
                let name = String(cString: cfuse_dirent_name(entry))
                if name != "." && name != ".." { return .success(false) }
            }
        }
    }

    /// libfuse needs fusermount3 to watch the mount for `auto_unmount`, the
    /// option that removes the mount when the daemon is killed.
    static func findFusermount() -> String? {
        var candidates = ["/usr/bin/fusermount3", "/bin/fusermount3"]
        if let path = getenv("PATH") {
            candidates += String(cString: path).split(separator: ":").map { "\($0)/fusermount3" }
        }
        return candidates.first { candidate in
            if case .success = Syscall.run({ access(candidate, X_OK) }) { return true }
            return false
        }
    }
}
