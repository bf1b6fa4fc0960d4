#if canImport(Glibc)
import Glibc
#endif
import CFuse
import FaultEngine
import Synchronization
import SystemCalls
import SystemPackage

/// A libfuse session pointer that may cross threads.
struct SessionHandle: @unchecked Sendable {
    // @unchecked: libfuse's session functions used here (receive, process,
    // exit, exited) are documented as safe to call from several threads.
    let pointer: OpaquePointer
}

/// Serves one mount: creates the session, runs the worker threads, and takes
/// the mount down on a shutdown signal or when it is unmounted from outside.
public enum FaultFSServer {
    /// Mounts, serves until SIGINT, SIGTERM or SIGHUP (or an external
    /// unmount), then unmounts.
    ///
    /// - Parameter onMounted: called once the mount is in place, before
    ///   requests are served (the caller prints its "mounted" line there).
    public static func serve(_ config: MountConfiguration, onMounted: () -> Void) -> Result<Void, MountError> {
        let paths: Preflight.Paths
        switch Preflight.check(config) {
        case .failure(let e): return .failure(e)
        case .success(let p): paths = p
        }

        // Signals are taken synchronously by this thread; no other thread
        // (workers, control server) may see them, and threads inherit the
        // mask, so block them before any thread starts. A shell that started
        // us with `&` set SIGINT to ignored, and an ignored signal is never
        // delivered, so restore the defaults.
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1] { _ = cfuse_sigaction_default(signal) }
        _ = cfuse_sigaction_ignore(SIGPIPE)
        _ = cfuse_install_wakeup_handler(SIGUSR2)
        _ = cfuse_mask_shutdown_signals(SIG_BLOCK)

        // Requests are answered from 1 MiB buffers; without this glibc maps
        // and unmaps one per reply.
        _ = mallopt(cfuse_M_MMAP_THRESHOLD, 16 << 20)  // glibc caps it at 32 MiB
        _ = mallopt(cfuse_M_TRIM_THRESHOLD, 128 << 20)
        // The kernel has already applied the caller's umask to every mode.
        _ = umask(0)

        let opened = Syscall.run { open(paths.backing, cfuse_O_PATH | O_DIRECTORY | O_CLOEXEC) }
        guard case .success(let rootFD) = opened else {
            return .failure(.backingInaccessible(config.backing, reason: opened.errno!.description))
        }
        var rootStat = stat()
        if case .failure(let e) = Syscall.run({ fstatat(rootFD, "", &rootStat, cfuse_AT_EMPTY_PATH) }) {
            Syscall.close(rootFD)
            return .failure(.backingInaccessible(config.backing, reason: e.description))
        }

        let faults: FaultContext
        if config.wantsFaults {
            let engine = config.replay.map { FaultEngine(replaying: $0, clock: SystemClock()) }
                ?? FaultEngine(seed: config.plan?.seed ?? config.seed, clock: SystemClock(), resolver: ProcCallerResolver())
            // A replayed crash needs the writes before it logged, as in the
            // recorded run where its rule was armed.
            let replaysCrash = config.replay?.contains { $0.fault == "power-loss" || $0.fault == "fsync-fail" } ?? false
            faults = FaultContext(engine: engine, backingPath: paths.backing,
                                  alwaysTrackDurability: config.trackDurability || replaysCrash)
            faults.rulesChanged()
        } else {
            faults = .inert(backingPath: paths.backing)
        }
        guard let offWorker = OffWorker() else {
            Syscall.close(rootFD)
            return .failure(.noThread)
        }
        let fs = FileSystem(rootFD: rootFD, rootStat: rootStat, cache: CachePolicy(
            entryTimeout: config.cacheTimeout, attrTimeout: config.cacheTimeout,
            keepCache: true, directIOForWriteOnly: true, noFlush: true), faults: faults,
            passthrough: Passthrough(wanted: config.usesPassthrough), offWorker: offWorker)
        let userdata = Unmanaged.passRetained(fs)
        defer {
            userdata.release()
            Syscall.close(rootFD)
        }
        // The same arm as a control request's; nothing is cached yet, so
        // there is nothing to drop.
        if let plan = config.plan {
            do { _ = try fs.arm(plan) } catch { return .failure(.planRejected(error.description)) }
        }

        var ops = LowLevelOperations.make()
        var arguments = ["faultbench", "-o", mountOptions(backing: paths.backing)]
        if config.debug { arguments.append("-d") }
        let session: OpaquePointer? = withFuseArguments(arguments) { args in
            fuse_session_new(args, &ops, MemoryLayout<fuse_lowlevel_ops>.size, userdata.toOpaque())
        }
        guard let session else { return .failure(.mountFailed(mountpoint: config.mountpoint)) }
        // Cleared when a crash's job off the workers could not be waited
        // for (see below): the session is then left to the process's exit
        // rather than freed under it.
        var destroySession = true
        defer { if destroySession { fuse_session_destroy(session) } }
        faults.session.store(UInt(bitPattern: UnsafeRawPointer(session)), ordering: .releasing)

        var control: ControlServer? = nil
        if let socketPath = config.controlSocket {
            switch ControlServer.bind(path: socketPath, fs: fs) {
            case .success(let server): control = server
            case .failure(let e): return .failure(e)
            }
        }
        defer { control?.stop() }


        if fuse_session_mount(session, paths.mountpoint) != 0 {
            return .failure(.mountFailed(mountpoint: config.mountpoint))
        }
        // Before the first request is read: the hooks must see INIT.
        if fs.passthrough.wanted && !fs.passthrough.install(on: session) {
            fuse_session_unmount(session)
            return .failure(.mountFailed(mountpoint: config.mountpoint))
        }
        let mounted = MountTable.entry(at: paths.mountpoint)
        let connection = mounted?.minor
        if let device = mounted?.device { raiseReadahead(device) }
        onMounted()
        if config.daemonize { _ = fuse_daemonize(0) }
        control?.start()

        let handle = SessionHandle(pointer: session)
        let workers = WorkerPool(session: handle, count: min(max(1, config.threads), 256),
                                 spinNanoseconds: UInt64(min(max(0, config.spinMicroseconds), 1_000_000)) * 1000, leader: fs.leader,
                                 requestFlags: fs.requestFlags)
        workers.start()

        // Wait for a shutdown signal, or for SIGUSR1 from the last worker
        // when the mount went away by itself.
        while true {
            let signal = cfuse_wait_shutdown_signal()
            if signal == SIGUSR1 && !workers.allStopped { continue }
            if signal < 0 { continue }
            break
        }
        fuse_session_exit(session)
        if !workers.allStopped {
            detach(paths.mountpoint)
            // Open files keep a detached mount alive. Give them a moment,
            // then stop anyway: abort the connection where fusectl is
            // mounted, and interrupt the workers' reads. Closing the device
            // below then ends the connection, so processes still using the
            // mount get ENOTCONN instead of hanging.
            if !workers.waitForStop(nanoseconds: 500_000_000) {
                if let connection { abortConnection(connection) }
                workers.interrupt()
            }
        }
        workers.join()
        // Normally the mount is gone by now (detached above, or unmounted
        // from outside); libfuse's unmount would only complain about it.
        if MountTable.entry(at: paths.mountpoint)?.fileSystemType == "fuse.faultbench" {
            fuse_session_unmount(session)
        }
        // A crash's or fsync-fail's job may still run off the workers: it
        // uses the session and the stash. After the unmount its kernel calls
        // fail at once, so this is short. One stuck on a page lock is
        // freed by ending the connection: closing the device (so the
        // session, which would close it again, is not destroyed).
        if !fs.offWorker.waitUntilIdle(nanoseconds: 5_000_000_000) {
            Syscall.close(fuse_session_fd(session))
            destroySession = false
            _ = fs.offWorker.waitUntilIdle(nanoseconds: 2_000_000_000)
        }
        faults.durability.withLock { $0.unpinAll() }
        fs.removeStash()
        if let traceFile = config.traceFile {
            let lines = faults.engine.traceLines()
            let text = lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
            if case .failure(let e) = FileReplacement.write(text, to: traceFile) {
                return .failure(.traceNotWritten(traceFile, reason: e.description))
            }
        }
        return .success(())
    }

    /// Options for every mount: other users' processes may use it (pjdfstest
    /// and the permission tests switch users), the kernel enforces
    /// permissions, and libfuse's watchdog unmounts if we are killed.
    static func mountOptions(backing: String) -> String {
        var options = ["default_permissions", "auto_unmount", "fsname=faultbench", "subtype=faultbench"]
        if geteuid() == 0 || (readWholeFile("/etc/fuse.conf")?.contains("\nuser_allow_other") ?? false) {
            options.append("allow_other")
        }
        return options.joined(separator: ",")
    }

    /// Lazily unmounts, so a busy mount leaves the namespace at once.
    static func detach(_ mountpoint: String) {
        if geteuid() == 0 {
            _ = Syscall.run { cfuse_umount2(mountpoint, cfuse_MNT_DETACH) }
        } else {
            _ = runProgram("fusermount3", ["-u", "-z", mountpoint])
        }
    }

    /// The kernel caps a FUSE mount's readahead at 128 KiB, so a sequential
    /// read costs a round trip per 128 KiB; 1 MiB (our max_write, and
    /// libfuse's request size) cuts that by eight and made cold sequential
    /// reads 1.5-1.7x faster on tmpfs here. Best effort: sysfs may be
    /// read-only in a container.
    static func raiseReadahead(_ device: String) {
        let path = "/sys/class/bdi/\(device)/read_ahead_kb"
        guard case .success(let fd) = Syscall.run({ open(path, O_WRONLY | O_CLOEXEC) }) else { return }
        _ = Syscall.count { write(fd, "1024", 4) }
        Syscall.close(fd)
    }

    static func abortConnection(_ connection: UInt32) {
        let path = "/sys/fs/fuse/connections/\(connection)/abort"
        guard case .success(let fd) = Syscall.run({ open(path, O_WRONLY | O_CLOEXEC) }) else { return }
        _ = Syscall.count { write(fd, "1", 1) }
        Syscall.close(fd)
    }
}

/// Builds libfuse's `fuse_args` from Swift strings (FUSE_ARGS_INIT is a
/// compound literal Swift cannot import).
func withFuseArguments<T>(_ arguments: [String], _ body: (UnsafeMutablePointer<fuse_args>) -> T) -> T {
    let argv = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: arguments.count + 1)
    for (i, argument) in arguments.enumerated() { argv[i] = strdup(argument) }
    argv[arguments.count] = nil
    var args = fuse_args(argc: Int32(arguments.count), argv: argv, allocated: 0)
    defer {
        // libfuse may have replaced argv with its own copy while parsing.
        if args.allocated != 0 { fuse_opt_free_args(&args) }
        for i in 0..<arguments.count { free(argv[i]) }
        argv.deallocate()
    }
    return body(&args)
}

/// Runs a program found on PATH and waits for it; returns its exit status.
func runProgram(_ name: String, _ arguments: [String]) -> Int32 {
    var pid: pid_t = 0
    let argv: [UnsafeMutablePointer<CChar>?] = ([name] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    guard posix_spawnp(&pid, name, nil, nil, argv, environ) == 0 else { return 127 }
    var status: Int32 = 0
    _ = Syscall.run { waitpid(pid, &status, 0) }
    return (status >> 8) & 0xff
}
