import Foundation
import Results

/// The run's journal: one JSON line per finished trial, appended as the run
/// goes, after a header line that fixes what the run is. Ctrl-C or a crash
/// leaves every finished trial on disk, and `--resume` continues from it.
final class Journal: @unchecked Sendable {
    // @unchecked: `handle` is only written to with `lock` held.
    struct Header: Codable {
        var journal = 1
        var runID: String
        var startedAt: String
        var seed: UInt64
        var options: RunOptions
        var environment: RunEnvironment
        var scenarios: [ScenarioRecord]
        var failureMix: FailureMix
    }

    let path: String
    private let handle: FileHandle
    private let lock = NSLock()

    private init(path: String, handle: FileHandle) {
        self.path = path
        self.handle = handle
    }

    /// Starts a new journal with its header.
    static func create(at path: String, header: Header) -> Result<Journal, HarnessError> {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            return .failure(HarnessError("cannot create the journal '\(path)'; is the results directory writable?"))
        }
        let journal = Journal(path: path, handle: handle)
        guard let line = try? Self.encoder.encode(header) else {
            return .failure(HarnessError("the journal header could not be encoded."))
        }
        journal.append(line)
        return .success(journal)
    }

    /// Opens an existing journal to continue it: its header and the trials
    /// it holds. A last line cut short by a crash is dropped.
    static func resume(at path: String) -> Result<(Journal, Header, [TrialRecord]), HarnessError> {
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(HarnessError("cannot read the journal '\(path)'; name a run's .journal.jsonl or its run id."))
        }
        let lines = data.split(separator: UInt8(ascii: "\n"))
        guard let first = lines.first, let header = try? JSONDecoder().decode(Header.self, from: Data(first)) else {
            return .failure(HarnessError("'\(path)' is not a faultbench journal (its first line is not a run header)."))
        }
        var trials: [TrialRecord] = []
        for line in lines.dropFirst() {
            guard let trial = try? JSONDecoder().decode(TrialRecord.self, from: Data(line)) else { break }
            trials.append(trial)
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            return .failure(HarnessError("cannot append to the journal '\(path)'."))
        }
        // Cut a torn last line, so the next record starts on a line of its own.
        var keep = first.count + 1
        for line in lines.dropFirst().prefix(trials.count) { keep += line.count + 1 }
        try? handle.truncate(atOffset: UInt64(keep))
        _ = try? handle.seekToEnd()
        return .success((Journal(path: path, handle: handle), header, trials))
    }

    func record(_ trial: TrialRecord) {
        guard let line = try? Self.encoder.encode(trial) else { return }
        append(line)
    }

    private func append(_ line: Data) {
        lock.lock()
        defer { lock.unlock() }
        // write(contentsOf:) throws where write(_:) would trap (a full disk):
        // a journal line lost that way costs a resume, not the run.
        try? handle.write(contentsOf: line + Data([UInt8(ascii: "\n")]))
    }

    func close() {
        lock.lock()
        defer { lock.unlock() }
        try? handle.synchronize()
        try? handle.close()
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
