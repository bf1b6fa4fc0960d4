#if canImport(Glibc)
import Glibc
#endif

/// Everything a mount needs to know, as given on the command line.
public struct MountConfiguration: Sendable {
    /// The directory whose contents are served.
    public var backing: String
    /// The empty directory the filesystem is mounted on.
    public var mountpoint: String
    /// Worker threads reading requests from the kernel.
    public var threads: Int = 2
    /// How long a worker keeps polling for the next request before it
    /// blocks; a request that arrives meanwhile skips a sleep and a wakeup.
    public var spinMicroseconds: Int = 100
    /// Detach from the terminal once mounted.
    public var daemonize: Bool = false
    /// Print every request (libfuse's debug output).
    public var debug: Bool = false
    /// The FUSE device; only tests name another one.
    public var fuseDevice: String = "/dev/fuse"
    /// Seconds the kernel may cache names and attributes of untargeted files.
    public var cacheTimeout: Double = 1.0

    public init(backing: String, mountpoint: String) {
        self.backing = backing
        self.mountpoint = mountpoint
    }
}
