#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import FaultFS
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
        let answer: String
        switch ControlChannel.exchange(request, socket: socket) {
        case .success(let line): answer = line
        case .failure(let error): throw Failure(error.description)
        }
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
