#if canImport(Glibc)
import Glibc
#endif
import FaultEngine

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
    /// Serve files no rule can reach through kernel passthrough (Linux
    /// 6.9+, as root) when the kernel offers it. nil: only where rules never
    /// change while mounted (no control socket), because a rule armed later
    /// cannot reach a handle that is already in passthrough.
    public var passthrough: Bool?

    /// Fault rules armed before the first request is served.
    public var plan: Plan?
    /// The run's seed: every rule's random stream derives from it.
    public var seed: UInt64 = 0
    /// A recorded trace to re-inject instead of rules.
    public var replay: [TraceEvent]?
    /// A Unix socket for arming and clearing rules while mounted.
    public var controlSocket: String?
    /// Where the fault trace is written (JSON lines) when the mount ends.
    public var traceFile: String?
    /// Log every write for power loss even while no crash rule is armed
    /// (needed for a power loss triggered on demand).
    public var trackDurability: Bool = false

    var usesPassthrough: Bool { passthrough ?? (controlSocket == nil) }

    /// Whether this mount needs the fault engine at all; without it every
    /// operation is a plain passthrough.
    var wantsFaults: Bool {
        plan != nil || replay != nil || controlSocket != nil || trackDurability || traceFile != nil
    }

    public init(backing: String, mountpoint: String) {
        self.backing = backing
        self.mountpoint = mountpoint
    }
}
