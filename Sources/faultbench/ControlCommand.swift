#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation

/// `faultbench ctl SOCKET COMMAND ...`: speaks the control protocol from the
/// shell, one request, one JSON answer on stdout.
struct ControlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ctl",
        abstract: "Steer a mounted faultbench through its control socket.",
        discussion: """
        Commands: ping; list; arm PLAN.yaml; clear [ID]; power-loss [--metadata] [--keep P] [--kill PID ...];
        counters; trace [--drain]; exempt PID ...; or a raw JSON request such as '{"op":"list"}'.
        """
    )

    @Argument(help: "The socket given to faultbench mount --control.")
    var socket: String

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.")
    var command: [String] = []

    func run() throws {
        let request = try makeRequest()
        let answer = try ControlClient.send(request, to: socket)
        Output.line(answer)
        if let data = answer.data(using: .utf8),
           let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           object["ok"] as? Bool != true {
            throw Failure((object["error"] as? String) ?? "the filesystem refused the request.")
        }
    }

    private func makeRequest() throws -> String {
        guard let verb = command.first else {
            throw Failure("ctl needs a command: ping, list, arm, clear, power-loss, counters, trace or exempt.")
        }
        let rest = Array(command.dropFirst())
        var object: [String: Any]
        switch verb {
        case "ping", "list", "counters":
            object = ["op": verb]
        case "arm":
            guard let file = rest.first else { throw Failure("arm needs a plan file: faultbench ctl SOCKET arm PLAN.yaml.") }
            object = ["op": "arm", "plan": try TextFile.read(file, what: "plan"), "file": file]
        case "clear":
            object = ["op": "clear"]
            if let id = rest.first {
                guard let number = Int(id) else { throw Failure("clear takes a rule id (a number) or nothing for all rules.") }
                object["id"] = number
            }
        case "power-loss":
            object = ["op": "power-loss", "metadata": rest.contains("--metadata")]
            if let i = rest.firstIndex(of: "--keep"), i + 1 < rest.count, let keep = Double(rest[i + 1]) { object["keep"] = keep }
            if let i = rest.firstIndex(of: "--kill") { object["kill"] = rest[(i + 1)...].compactMap { Int($0) } }
        case "trace":
            object = ["op": "trace", "drain": rest.contains("--drain")]
        case "exempt":
            object = ["op": "exempt", "pids": rest.compactMap { Int($0) }]
        default:
            if verb.hasPrefix("{") { return verb }
            throw Failure("unknown ctl command '\(verb)'; use ping, list, arm, clear, power-loss, counters, trace or exempt.")
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}

enum ControlClient {
    /// Sends one request line and returns the one answer line.
    static func send(_ request: String, to path: String) throws -> String {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("cannot create a socket: \(String(cString: strerror(errno))).") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw Failure("the control socket path '\(path)' is too long for a socket address.")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            throw Failure("cannot connect to the control socket '\(path)': \(String(cString: strerror(errno))); is faultbench mounted with --control \(path)?")
        }
        var line = Array((request + "\n").utf8)[...]
        while !line.isEmpty {
            let n = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure("the control socket closed while sending.") }
            line = line.dropFirst(n)
        }
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !answer.contains(UInt8(ascii: "\n")) {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            answer += chunk[0..<n]
        }
        guard let newline = answer.firstIndex(of: UInt8(ascii: "\n")) else {
            throw Failure("the control socket closed without an answer.")
        }
        return String(decoding: answer[..<newline], as: UTF8.self)
    }
}

enum TextFile {
    /// Reads a whole text file named on the command line.
    static func read(_ path: String, what: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                throw Failure("cannot read the \(what) file '\(path)'\(isDirectory.boolValue ? ": it is a directory" : ""); check its permissions.")
            }
            throw Failure("the \(what) file '\(path)' does not exist; check the path.")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw Failure("the \(what) file '\(path)' is not UTF-8 text.")
        }
        return text
    }
}
