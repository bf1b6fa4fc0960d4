#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemCalls
import SystemPackage

/// A `faultbench mount` with the fault options every fault test wants: a
/// plan file (optional), a control socket and a trace file, all in one
/// temporary directory beside `backing/` and `mnt/`.
public final class FaultMount {
    /// The mount itself (see `MountedFS`).
    public let fs: MountedFS
    /// The directory holding backing/, mnt/, plan.yaml, the socket and the trace.
    public let directory: TemporaryDirectory
    /// The control socket client.
    public let control: FaultControlClient
    /// Where the daemon writes its trace when it unmounts.
    public let tracePath: String
    /// The plan file passed with --plan, if any.
    public let planPath: String?

    init(fs: MountedFS, directory: TemporaryDirectory, control: FaultControlClient, tracePath: String, planPath: String?) {
        self.fs = fs
        self.directory = directory
        self.control = control
        self.tracePath = tracePath
        self.planPath = planPath
    }

    /// A path below the mount point.
    public func path(_ relative: String) -> String { fs.path(relative) }
    /// The same path in the backing directory.
    public func backingPath(_ relative: String) -> String { fs.backingPath(relative) }
    /// The mount point (canonical).
    public var mountPoint: String { fs.canonicalMountPoint }
    /// The socket path, for `faultbench ctl`.
    public var socketPath: String { control.socketPath }
}

/// What a fault mount left behind once it was unmounted.
public struct FaultMountResult<T> {
    /// What the body returned.
    public let value: T
    /// The trace file the daemon wrote on unmount (nil if it wrote none).
    public let traceFile: String?
    /// The backing directory's files after unmount: relative path -> bytes
    /// (regular files only, recursively).
    public let backing: [String: [UInt8]]
    /// What the daemon left beside the backing directory after unmount,
    /// other than backing/, mnt/, plan.yaml and trace.jsonl (a socket, a
    /// stash directory): should be nothing.
    public let leftovers: [String]
}

/// Mounts a fresh backing directory with `--control`, `--trace` and, when
/// `plan` is given, `--plan`; runs `body`; always unmounts (through
/// `withMount`, which checks exit 0 and that the mount is gone).
///
/// - Parameters:
///   - plan: YAML written to plan.yaml and passed with `--plan`.
///   - arguments: more `faultbench mount` options (e.g. `--seed 7`).
///   - setup: fills the backing directory before the mount exists.
/// - Returns: the body's value, the trace file and the backing files after
///   the unmount.
public func withFaultMount<T>(
    plan: String? = nil, arguments: [String] = [], setup: (String) throws -> Void = { _ in },
    _ body: (FaultMount) throws -> T
) throws -> FaultMountResult<T> {
    let directory = try TemporaryDirectory("fault")
    do {
        let backing = try directory.makeDirectory("backing")
        let mnt = try directory.makeDirectory("mnt")
        try setup(backing)
        let (options, planPath) = try faultMountOptions(in: directory, plan: plan)
        let value = try withMount(backing: backing, mountPoint: mnt, arguments: options + arguments) { fs in
            try body(FaultMount(fs: fs, directory: directory, control: FaultControlClient(socketPath: directory.path("ctl.sock")),
                                tracePath: directory.path("trace.jsonl"), planPath: planPath))
        }
        let trace = try? FS.readText(directory.path("trace.jsonl")).get()
        let files = try snapshotFiles(backing)
        let expected: Set<String> = ["backing", "mnt", "plan.yaml", "trace.jsonl"]
        let leftovers = try must(FS.listDirectory(directory.path), "list \(directory.path)").filter { !expected.contains($0) }
        try directory.remove()
        return FaultMountResult(value: value, traceFile: trace, backing: files, leftovers: leftovers)
    } catch {
        try? directory.remove()
        throw error
    }
}

/// The options every fault mount gets (`--control` and `--trace` in
/// `directory`), and `--plan` with `plan` written to plan.yaml when given.
func faultMountOptions(in directory: TemporaryDirectory, plan: String?) throws -> (options: [String], planPath: String?) {
    var options = ["--control", directory.path("ctl.sock"), "--trace", directory.path("trace.jsonl")]
    guard let plan else { return (options, nil) }
    let planPath = directory.path("plan.yaml")
    try must(FS.writeFile(planPath, plan), "write the plan file")
    options += ["--plan", planPath]
    return (options, planPath)
}

/// Every regular file below `root` (relative path -> bytes), and every
/// directory as a key ending in "/" with no bytes.
public func snapshotFiles(_ root: String) throws -> [String: [UInt8]] {
    var result: [String: [UInt8]] = [:]
    func walk(_ relative: String) throws {
        let full = relative.isEmpty ? root : root + "/" + relative
        for name in try must(FS.listDirectory(full), "list \(full)") {
            let child = relative.isEmpty ? name : relative + "/" + name
            let st = try must(FS.lstat(root + "/" + child), "lstat \(child)")
            if fileType(st.st_mode) == S_IFDIR {
                result[child + "/"] = []
                try walk(child)
            } else if fileType(st.st_mode) == S_IFREG {
                result[child] = try must(FS.readFile(root + "/" + child), "read \(child)")
            }
        }
    }
    try walk("")
    return result
}

/// Runs `faultbench` with `arguments` (e.g. `replay TRACE BACKING MNT`),
/// waits until `mountPoint` is mounted, runs `body`, then stops the daemon
/// with SIGTERM and checks that it exited 0 and left no mount. Whatever
/// happens, nothing is left mounted or running afterwards.
public func withFaultbenchServing<T>(_ arguments: [String], mountPoint: String, timeout: Double = 10,
                                     _ body: () throws -> T) throws -> T {
    let logs = try TemporaryDirectory("serve-log")
    defer { try? logs.remove() }
    let canonical = canonicalPath(mountPoint)
    let before = try must(FS.stat(canonical), "stat the mount point \(canonical)")
    let command = [try FaultbenchBinary.path()] + arguments
    let process = try ChildProcess.spawn("setpriv", ["--pdeathsig", "TERM", "--"] + command,
                                         stdout: logs.path("stdout"), stderr: logs.path("stderr"))
    func output() -> String {
        let out = (try? FS.readText(logs.path("stdout")).get()) ?? ""
        let err = (try? FS.readText(logs.path("stderr")).get()) ?? ""
        return "\n--- stdout\n\(out)--- stderr\n\(err)"
    }
    func cleanUp() {
        let steps: [(String, [String])] = [("fusermount3", ["-u", canonical]), ("fusermount3", ["-u", "-z", canonical]), ("umount", ["-l", canonical])]
        for (tool, args) in steps where MountTable.isMounted(canonical) { _ = try? Tool.run(tool, args, timeout: 10) }
        if process.poll() == nil {
            process.send(SIGTERM)
            if process.wait(timeout: 5) == nil { process.killAndReap() }
        }
    }
    let deadline = Clock.now + timeout
    while true {
        if let ended = process.poll() {
            cleanUp()
            throw SupportError("\(command.joined(separator: " ")) ended (\(ended)) before the mount appeared.\(output())")
        }
        if MountTable.entry(at: canonical) != nil,
           let probe = try? Tool.run("stat", ["-c", "%d", canonical], timeout: max(0.5, deadline - Clock.now)),
           probe.succeeded, let device = UInt64(probe.stdout.trimmingWhitespace()), device != UInt64(before.st_dev) {
            break
        }
        if Clock.now > deadline {
            cleanUp()
            throw SupportError("\(command.joined(separator: " ")) did not mount within \(timeout) s.\(output())")
        }
        usleep(5_000)
    }
    let result: T
    do {
        result = try body()
    } catch {
        cleanUp()
        throw error
    }
    process.send(SIGTERM)
    let ended = process.wait(timeout: 10)
    let leftMounted = MountTable.isMounted(canonical)
    let text = output()
    cleanUp()
    guard ended == .exited(0), !leftMounted else {
        throw SupportError("\(command.joined(separator: " ")) after SIGTERM: \(ended.map { "\($0)" } ?? "still running"), \(leftMounted ? "still mounted" : "unmounted").\(text)")
    }
    return result
}
