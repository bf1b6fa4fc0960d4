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
///   now, which no rule reaches until they are closed and opened again.
/// - `{"op":"list"}` → `{"ok":true,"rules":[{"id","name","fault","path","matched","fired"}]}`
/// - `{"op":"clear","id":N}` or `{"op":"clear"}` (all) → `{"ok":true,"cleared":N}`
/// - `{"op":"power-loss","metadata":false,"keep":0.0,"kill":[pids]}` → `{"ok":true}`
/// - `{"op":"counters"}` → `{"ok":true,"calls":N,"faults":N,"pending_trace":N,"passthrough":{...}}`
///   (`available`, opens `granted` so far, `open` now, and `forced`: opens of
///   a targeted file that had to join a passthrough open of the same inode)
/// - `{"op":"trace","drain":true}` → `{"ok":true,"lines":[...]}`
/// - `{"op":"exempt","pids":[...]}` → `{"ok":true}`: these processes are never faulted.
/// - `{"op":"ping"}` → `{"ok":true}`
/// Every failure is `{"ok":false,"error":"<one sentence>"}`.
final class ControlServer: Sendable {
    let path: String
    private let listener: Int32
    private let fs: FileSystem
    private let stopped = Atomic<Bool>(false)

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

    private func acceptLoop() {
        while !stopped.load(ordering: .acquiring) {
            switch Syscall.run({ accept(listener, nil, nil) }) {
            case .success(let client):
                BackgroundThread.run { self.serve(client) }
            case .failure(let e) where e.rawValue == ECONNABORTED:
                continue
            case .failure:
                // The listener was shut down (stop) or is unusable.
                return
            }
        }
    }

    private func serve(_ client: Int32) {
        defer { Syscall.close(client) }
        var pending = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = Syscall.count { chunk.withUnsafeMutableBytes { read(client, $0.baseAddress, $0.count) } }
            guard case .success(let count) = n, count > 0 else { return }
            pending += chunk[0..<count]
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(pending[..<newline])
                pending.removeSubrange(...newline)
                if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
                var answer = respond(to: line)
                answer.append(UInt8(ascii: "\n"))
                var sent = 0
                while sent < answer.count {
                    let w = Syscall.count { answer[sent...].withUnsafeBytes { write(client, $0.baseAddress, $0.count) } }
                    guard case .success(let c) = w, c > 0 else { return }
                    sent += c
                }
            }
        }
    }

    func respond(to line: [UInt8]) -> [UInt8] {
        let reply: [String: Any]
        do {
            guard let request = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw ControlError("a request must be a JSON object")
            }
            reply = try handle(request)
        } catch let error as ControlError {
            reply = ["ok": false, "error": error.message]
        } catch let error as PlanError {
            reply = ["ok": false, "error": error.description]
        } catch {
            reply = ["ok": false, "error": "the request is not valid JSON: \(error.localizedDescription)"]
        }
        let data = (try? JSONSerialization.data(withJSONObject: reply, options: [.sortedKeys])) ?? Data("{\"ok\":false}".utf8)
        return Array(data)
    }

    private func handle(_ request: [String: Any]) throws -> [String: Any] {
        guard let faults = fs.faults else { throw ControlError("this mount has no fault engine") }
        let engine = faults.engine
        switch request["op"] as? String {
        case "ping":
            return ["ok": true]
        case "arm":
            let text: String
            if let yaml = request["plan"] as? String {
                text = yaml
            } else if let object = request["plan"], JSONSerialization.isValidJSONObject(object) {
                text = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
            } else {
                throw ControlError("arm needs a \"plan\": YAML text, or an object with \"rules\"")
            }
            let plan = try Plan.parse(yaml: text, file: request["file"] as? String ?? "control request")
            let ids = try engine.arm(plan)
            faults.rulesChanged()
            fs.invalidateTargets()
            return ["ok": true, "ids": ids.map { Int($0.rawValue) },
                    "passthrough_open": fs.passthrough.active.load(ordering: .relaxed)]
        case "list":
            let rules: [[String: Any]] = engine.rules().map { status in
                ["id": Int(status.id.rawValue), "name": status.name, "fault": status.rule.fault.kind.rawValue,
                 "path": status.rule.path.description, "matched": Int(status.matched), "fired": Int(status.fired)]
            }
            return ["ok": true, "rules": rules]
        case "clear":
            // What a rule damaged (corrupt bytes, short reads) may sit in
            // the kernel's cache once the file is no longer targeted.
            let wasTargeted = fs.targetedPaths()
            defer { fs.invalidate(pathsWhere: { wasTargeted.contains($0) }) }
            if let id = request["id"] as? Int {
                let cleared = engine.clear(RuleID(rawValue: UInt64(id)))
                faults.rulesChanged()
                if !cleared { throw ControlError("no armed rule has id \(id); list shows the ids") }
                return ["ok": true, "cleared": 1]
            }
            let count = engine.rules().count
            engine.clearAll()
            faults.rulesChanged()
            return ["ok": true, "cleared": count]
        case "power-loss":
            let kill = (request["kill"] as? [Int] ?? []).map { CallerMatch.pid(Int32($0)) }
            let options = PowerLossOptions(metadata: request["metadata"] as? Bool ?? false,
                                           keepProbability: request["keep"] as? Double ?? 0,
                                           killCaller: false, kill: kill)
            fs.powerLoss(engine.powerLossNow(options), insideRequest: false)
            return ["ok": true]
        case "counters":
            let counters = engine.counters()
            return ["ok": true, "calls": Int(counters.calls), "faults": Int(counters.faults),
                    "pending_trace": counters.pendingTraceLines,
                    "passthrough": fs.passthrough.counters]
        case "trace":
            let lines = request["drain"] as? Bool == true ? engine.drainTrace() : engine.traceLines()
            return ["ok": true, "lines": lines]
        case "exempt":
            let pids = (request["pids"] as? [Int] ?? []).map { Int32($0) }
            engine.exempt(pids: Set(pids))
            return ["ok": true]
        case let other?:
            throw ControlError("unknown op '\(other)'; use arm, list, clear, power-loss, counters, trace, exempt or ping")
        case nil:
            throw ControlError("a request needs an \"op\" field")
        }
    }
}

struct ControlError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
