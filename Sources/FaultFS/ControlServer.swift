#if canImport(Glibc)
import Glibc
#endif
import FaultEngine
import Foundation
import Synchronization
import SystemCalls
import SystemPackage

/// The runtime control channel: a Unix socket (mode 0600) that speaks one
/// JSON object per line each way, so a harness can arm, list and clear
/// rules, trigger a power loss and fetch the trace without remounting.
///
/// Requests (`op` names the command):
/// - `{"op":"arm","plan":<YAML text or a JSON object with "rules">}` →
///   `{"ok":true,"ids":[...]}`, sent only once the rules are in force (the
///   kernel's cached pages and names of targeted files are dropped first),
///   with `"passthrough_open":N`: handles open in kernel passthrough right
///   now, which no rule reaches until they are closed and opened again; and
///   `"cached_open":N`: handles opened before the arm that may keep reads,
///   writes or flushes from a new rule (in the page cache, or without
///   flush) until they are reopened (`FileSystem.cachedHandles(missedBy:)`).
/// - `{"op":"list"}` → `{"ok":true,"rules":[{"id","name","fault","path","matched","fired"}]}`
/// - `{"op":"clear","id":N}` or `{"op":"clear"}` (all) → `{"ok":true,"cleared":N}`
/// - `{"op":"power-loss","metadata":false,"keep":0.0,"kill":[pids]}` →
///   `{"ok":true,"killed":[pids],"missing":[pids]}` (named pids that did not exist)
/// - `{"op":"counters"}` → `{"ok":true,"calls":N,"faults":N,"pending_trace":N,"passthrough":{...}}`
///   (`available`, opens `granted` so far, `open` now, and `forced`: opens of
///   a targeted file that had to join a passthrough open of the same inode)
/// - `{"op":"trace","drain":true}` → `{"ok":true,"lines":[...]}`
/// - `{"op":"exempt","pids":[...]}` → `{"ok":true}`: these processes are never faulted.
/// - `{"op":"ping"}` → `{"ok":true}`
/// Every failure is `{"ok":false,"error":"<one sentence>"}`. The types of
/// both sides, with every field's range, are `ControlRequest` and
/// `ControlReply`.
final class ControlServer: Sendable {
    let path: String
    private let listener: Int32
    private let fs: FileSystem
    private let stopped = Atomic<Bool>(false)
    private let clients = Atomic<Int>(0)

    private init(path: String, listener: Int32, fs: FileSystem) {
        self.path = path
        self.listener = listener
        self.fs = fs
    }

    /// Binds the socket; fails if the path exists and is not a stale socket.
    /// Requests are served once `start()` is called: after daemonizing,
    /// since a fork keeps only the calling thread.
    static func bind(path given: String, fs: FileSystem) -> Result<ControlServer, MountError> {
        // Daemonizing changes the working directory; keep the path absolute.
        var path = given
        if !path.hasPrefix("/"), case .success(let cwd) = Syscall.pointer({ getcwd(nil, 0) }) {
            path = String(cString: cwd) + "/" + path
            free(cwd)
        }
        var st = stat()
        if case .success = Syscall.run({ lstat(path, &st) }) {
            guard st.st_mode & S_IFMT == S_IFSOCK else { return .failure(.controlSocketInvalid(path, reason: "a file that is not a socket is there")) }
            // A socket left by a mount that was killed: nobody listens on it.
            _ = Syscall.run { unlink(path) }
        }
        let opened = Syscall.run { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        guard case .success(let fd) = opened else {
            return .failure(.controlSocketInvalid(path, reason: opened.errno!.description))
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            Syscall.close(fd)
            return .failure(.controlSocketInvalid(path, reason: "the path is longer than a socket address allows (107 bytes)"))
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                Syscall.run { Glibc.bind(fd, socketAddress, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        }
        // Only the user who mounted may steer the faults.
        let ready = bound.flatMap { _ in Syscall.run { chmod(path, 0o600) } }.flatMap { _ in Syscall.run { listen(fd, 16) } }
        if case .failure(let e) = ready {
            Syscall.close(fd)
            if case .success = bound { _ = Syscall.run { unlink(path) } }
            return .failure(.controlSocketInvalid(path, reason: e.description))
        }
        return .success(ControlServer(path: path, listener: fd, fs: fs))
    }

    func start() {
        BackgroundThread.run { self.acceptLoop() }
    }

    func stop() {
        stopped.store(true, ordering: .releasing)
        _ = Syscall.run { shutdown(listener, Int32(SHUT_RDWR)) }
        Syscall.close(listener)
        _ = Syscall.run { unlink(path) }
    }

    /// The most clients served at once; each has its own thread. One that
    /// connects and sends nothing blocks only its own thread, until
    /// `idleSeconds` pass.
    static let maximumClients = 64
    /// How long a client may leave a request unfinished, or an answer unread.
    static let idleSeconds = 30

    private func acceptLoop() {
        while !stopped.load(ordering: .acquiring) {
            switch Syscall.run({ accept(listener, nil, nil) }) {
            case .success(let client):
                guard clients.add(1, ordering: .acquiringAndReleasing).newValue <= ControlServer.maximumClients else {
                    clients.subtract(1, ordering: .relaxed)
                    send(ControlReply.failure("too many control clients at once (\(ControlServer.maximumClients)); close idle connections and retry"), to: client)
                    Syscall.close(client)
                    continue
                }
                var limit = timeval(tv_sec: ControlServer.idleSeconds, tv_usec: 0)
                for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
                    _ = Syscall.run { setsockopt(client, SOL_SOCKET, option, &limit, socklen_t(MemoryLayout<timeval>.size)) }
                }
                BackgroundThread.run {
                    self.serve(client)
                    self.clients.subtract(1, ordering: .relaxed)
                }
            case .failure(let e) where e.rawValue == ECONNABORTED || e.rawValue == EMFILE || e.rawValue == ENFILE:
                // Out of descriptors is passing: the clients close theirs.
                if e.rawValue != ECONNABORTED { Syscall.sleep(nanoseconds: 10_000_000) }
                continue
            case .failure:
                // The listener was shut down (stop) or is unusable.
                return
            }
        }
    }

    /// Reads request lines and answers each. A line longer than
    /// `ControlRequest.maximumLength` is refused once that much is read, and
    /// the connection closed: nothing sends more than the limit into memory.
    private func serve(_ client: Int32) {
        defer { Syscall.close(client) }
        var pending = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = Syscall.count { chunk.withUnsafeMutableBytes { read(client, $0.baseAddress, $0.count) } }
            guard case .success(let count) = n, count > 0 else { return }
            var scanFrom = pending.count
            pending += chunk[0..<count]
            while let newline = pending[scanFrom...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = pending[..<newline]
                if !line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) {
                    let reply = line.count > ControlRequest.maximumLength ? tooLong() : respond(to: line)
                    guard send(reply, to: client) else { return }
                }
                pending.removeSubrange(...newline)
                scanFrom = 0
            }
            if pending.count > ControlRequest.maximumLength {
                send(tooLong(), to: client)
                return
            }
        }
    }

    private func tooLong() -> ControlReply {
        .failure("the request is longer than \(ControlRequest.maximumLength) bytes; send a plan that size or smaller, or arm it in parts")
    }

    /// Writes one reply line; false if the client is gone or stopped reading.
    @discardableResult
    private func send(_ reply: ControlReply, to client: Int32) -> Bool {
        var answer = Array(reply.line.utf8)
        answer.append(UInt8(ascii: "\n"))
        var sent = 0
        while sent < answer.count {
            let w = Syscall.count { answer[sent...].withUnsafeBytes { Glibc.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
            guard case .success(let c) = w, c > 0 else { return false }
            sent += c
        }
        return true
    }

    /// Answers one request line; never throws and never traps, whatever the line.
    func respond(to line: some Collection<UInt8>) -> ControlReply {
        do {
            return try handle(ControlRequest(line: line))
        } catch let error as ControlProtocolError {
            return .failure(error.message)
        } catch let error as PlanError {
            return .failure(error.description)
        } catch {
            return .failure("\(error)")
        }
    }

    private func handle(_ request: ControlRequest) throws -> ControlReply {
        let faults = fs.faults
        guard faults.acceptsRules else { throw ControlProtocolError("this mount has no fault engine") }
        let engine = faults.engine
        var reply = ControlReply()
        switch request {
        case .ping:
            break
        case .arm(let text, let file):
            let plan = try Plan.parse(yaml: text, file: file ?? "control request")
            reply.ids = try fs.arm(plan).map(\.rawValue)
            reply.passthroughOpen = fs.passthrough.active.load(ordering: .relaxed)
            reply.cachedOpen = fs.cachedHandles(missedBy: plan)
        case .list:
            reply.rules = engine.rules().map { status in
                ControlReply.Rule(id: status.id.rawValue, name: status.name, fault: status.rule.fault.kind.rawValue,
                                  path: status.rule.path.description, matched: status.matched, fired: status.fired)
            }
        case .clear(let id):
            // What a rule damaged (corrupt bytes, short reads) may sit in
            // the kernel's cache once the file is no longer targeted: the
            // cleared rule's files, or every targeted file (a replay's too)
            // when all are cleared.
            if let id {
                let globs = engine.rules().filter { $0.id.rawValue == id }.map(\.rule.path)
                defer { fs.invalidate(matching: globs) }
                let cleared = engine.clear(RuleID(rawValue: id))
                faults.rulesChanged()
                if !cleared { throw ControlProtocolError("no armed rule has id \(id); list shows the ids") }
                reply.cleared = 1
            } else {
                let wasTargeted = fs.targetedPaths()
                defer { fs.invalidate(pathsWhere: { wasTargeted.contains($0) }) }
                reply.cleared = engine.rules().count
                engine.clearAll()
                faults.rulesChanged()
            }
        case .powerLoss(let metadata, let keep, let kill):
            if kill.contains(getpid()) {
                throw ControlProtocolError("pid \(getpid()) is this filesystem's own process; a power loss never kills the daemon")
            }
            let options = PowerLossOptions(metadata: metadata, keepProbability: keep, killCaller: false, kill: kill.map { .pid($0) })
            let victims = fs.powerLoss(engine.powerLossNow(options), insideRequest: false)
            reply.killed = victims.pids
            reply.missing = victims.missing
        case .counters:
            let counters = engine.counters()
            reply.calls = counters.calls
            reply.faults = counters.faults
            reply.pendingTrace = counters.pendingTraceLines
            reply.passthrough = fs.passthrough.counters
        case .trace(let drain):
            reply.lines = drain ? engine.drainTrace() : engine.traceLines()
        case .exempt(let pids):
            engine.exempt(pids: Set(pids))
        }
        return reply
    }
}

