/// Why a mount or an unmount could not be done, in words a user can act on.
///
/// Each description is one full sentence that names the path and says what
/// to do; the CLI prints it after `faultbench: ` and exits non-zero.
public enum MountError: Error, Equatable, Sendable, CustomStringConvertible {
    case backingMissing(String)
    case backingNotDirectory(String)
    case backingInaccessible(String, reason: String)
    case mountpointMissing(String)
    case mountpointNotDirectory(String)
    case mountpointNotEmpty(String)
    case mountpointAlreadyMounted(String)
    case mountpointStale(String)
    case mountpointInaccessible(String, reason: String)
    case mountpointInsideBacking(mountpoint: String, backing: String)
    case deviceMissing(String)
    case deviceNotPermitted(String, reason: String)
    case fusermountMissing
    case mountFailed(mountpoint: String)
    case notMounted(String)
    case notFaultbenchMount(String, type: String)
    case unmountFailed(String, reason: String)
    case controlSocketInvalid(String, reason: String)
    case planRejected(String)
    case traceNotWritten(String, reason: String)
    case noThread

    public var description: String {
        switch self {
        case .backingMissing(let p):
            return "backing directory '\(p)' does not exist; create it or name an existing directory."
        case .backingNotDirectory(let p):
            return "backing path '\(p)' is not a directory; name a directory to serve."
        case .backingInaccessible(let p, let reason):
            return "cannot read backing directory '\(p)': \(reason); check its permissions."
        case .mountpointMissing(let p):
            return "mount point '\(p)' does not exist; create an empty directory there first."
        case .mountpointNotDirectory(let p):
            return "mount point '\(p)' is not a directory; mount on an empty directory."
        case .mountpointNotEmpty(let p):
            return "mount point '\(p)' is not empty; mount on an empty directory so no files are hidden."
        case .mountpointAlreadyMounted(let p):
            return "mount point '\(p)' is already a mount point; unmount it first (faultbench unmount \(p))."
        case .mountpointStale(let p):
            return "mount point '\(p)' is a stale mount (transport endpoint is not connected); clear it with faultbench unmount \(p)."
        case .mountpointInaccessible(let p, let reason):
            return "cannot read mount point '\(p)': \(reason); check its permissions."
        case .mountpointInsideBacking(let m, let b):
            return "mount point '\(m)' is inside the backing directory '\(b)'; choose a mount point outside it."
        case .deviceMissing(let d):
            return "\(d) does not exist; load the fuse module (modprobe fuse) or give the container /dev/fuse."
        case .deviceNotPermitted(let d, let reason):
            return "cannot open \(d): \(reason); run as root or get read-write access to it."
        case .fusermountMissing:
            return "fusermount3 was not found; install the fuse3 package (apt-get install fuse3)."
        case .mountFailed(let p):
            return "the kernel refused to mount '\(p)' (libfuse's reason is printed above); nothing was mounted."
        case .notMounted(let p):
            return "'\(p)' is not a mount point; there is nothing to unmount."
        case .notFaultbenchMount(let p, let type):
            return "'\(p)' is a \(type) mount, not a faultbench mount; unmount it with umount if you mean to."
        case .unmountFailed(let p, let reason):
            return "could not unmount '\(p)': \(reason)."
        case .controlSocketInvalid(let p, let reason):
            return "cannot create the control socket '\(p)': \(reason); name a new path in a writable directory."
        case .planRejected(let message):
            return message
        case .traceNotWritten(let p, let reason):
            return "could not write the fault trace to '\(p)': \(reason)."
        case .noThread:
            return "could not start a thread (out of memory or at the thread limit); free memory or raise the limit (ulimit -u) and mount again."
        }
    }
}
