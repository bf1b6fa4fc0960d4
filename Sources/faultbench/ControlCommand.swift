#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import FaultEngine
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
        let reply: ControlReply
        do { reply = try ControlReply(line: answer) } catch { throw Failure(error.description + ".") }
        if !reply.ok { throw Failure(reply.error ?? "the filesystem refused the request.") }
    }

    /// The request line: built from the arguments as a `ControlRequest` and
    /// checked with the server's own rules before it is sent, or a raw JSON
    /// object passed through for the server to judge.
    private func makeRequest() throws -> String {
        guard let verb = command.first else {
            throw Failure("ctl needs a command: ping, list, arm, clear, power-loss, counters, trace or exempt.")
        }
        let rest = Array(command.dropFirst())
        func pids(_ words: ArraySlice<String>, _ what: String) throws -> [Int32] {
            try words.map { word in
                guard let pid = Int64(word), PlanLimits.isProcessID(pid) else {
                    throw Failure("\(what) takes process ids; '\(word)' is not one (use positive pids up to \(PlanLimits.largestPID)).")
                }
                return Int32(pid)
            }
        }
        let request: ControlRequest
        switch verb {
        case "ping": request = .ping
        case "list": request = .list
        case "counters": request = .counters
        case "arm":
            guard let file = rest.first else { throw Failure("arm needs a plan file: faultbench ctl SOCKET arm PLAN.yaml.") }
            request = .arm(plan: try TextFile.read(file, what: "plan"), file: file)
        case "clear":
            guard let id = rest.first else { request = .clear(id: nil); break }
            guard let number = UInt64(id), number >= 1 else {
                throw Failure("clear takes a rule id (a whole number from 1; list shows the ids) or nothing for all rules.")
            }
            request = .clear(id: number)
        case "power-loss":
            var keep = 0.0
            var kill: [Int32] = []
            var index = 0
            while index < rest.count {
                switch rest[index] {
                case "--metadata": index += 1
                case "--keep":
                    guard index + 1 < rest.count, let value = Double(rest[index + 1]), (0...1).contains(value) else {
                        throw Failure("--keep takes the probability that an unsynced block survives, from 0 to 1.")
                    }
                    keep = value
                    index += 2
                case "--kill":
                    let end = rest[(index + 1)...].firstIndex { $0.hasPrefix("--") } ?? rest.count
                    kill = try pids(rest[(index + 1)..<end], "--kill")
                    index = end
                default:
                    throw Failure("power-loss takes --metadata, --keep P and --kill PID ...; '\(rest[index])' is none of them.")
                }
            }
            request = .powerLoss(metadata: rest.contains("--metadata"), keep: keep, kill: kill)
        case "trace":
            request = .trace(drain: rest.contains("--drain"))
        case "exempt":
            request = .exempt(pids: try pids(rest[...], "exempt"))
        default:
            if verb.hasPrefix("{") { return verb }
            throw Failure("unknown ctl command '\(verb)'; use ping, list, arm, clear, power-loss, counters, trace or exempt.")
        }
        return request.line
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
