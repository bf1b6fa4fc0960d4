import ArgumentParser
import FaultFS

struct MountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mount",
        abstract: "Serve BACKING at MOUNTPOINT through FUSE until Ctrl-C or SIGTERM, then unmount."
    )

    @Argument(help: "The directory whose contents are served.")
    var backing: String

    @Argument(help: "An empty directory to mount on.")
    var mountpoint: String

    @Option(help: "Worker threads answering requests.")
    var threads: Int = 2

    @Option(help: "Microseconds a worker polls for the next request before it sleeps (0: never poll).")
    var spin: Int = 100

    @Option(help: "Seconds the kernel may cache names and attributes of files no rule targets.")
    var cacheTimeout: Double = 1.0

    @Flag(help: "Detach from the terminal once mounted.")
    var daemon = false

    @Flag(help: "Print every FUSE request (libfuse's debug output).")
    var debug = false

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1.") }
        guard spin >= 0 else { throw ValidationError("--spin must not be negative.") }
        guard cacheTimeout >= 0 else { throw ValidationError("--cache-timeout must not be negative.") }
    }

    func run() throws {
        var config = MountConfiguration(backing: backing, mountpoint: mountpoint)
        config.threads = threads
        config.spinMicroseconds = spin
        config.cacheTimeout = cacheTimeout
        config.daemonize = daemon
        config.debug = debug
        if let device = Environment.value("FAULTBENCH_FUSE_DEVICE") { config.fuseDevice = device }
        let result = FaultFSServer.serve(config) {
            Output.line("faultbench: mounted \(backing) at \(mountpoint)")
        }
        if case .failure(let error) = result { throw Failure(error.description) }
    }
}

struct UnmountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unmount",
        abstract: "Unmount a faultbench mount, also a stale or busy one (lazily)."
    )

    @Argument(help: "The mount point to clear.")
    var mountpoint: String

    func run() throws {
        if case .failure(let error) = FaultFSServer.unmount(mountpoint) { throw Failure(error.description) }
    }
}
