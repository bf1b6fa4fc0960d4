import Foundation

/// The journal a `faultbench run` writes as it goes, for tests that
/// interrupt a run part way.
public enum RunJournal {
    /// Waits until the run's journal in `directory` holds more than `lines`
    /// lines (a few trials done), at most `timeout` seconds.
    /// - Returns: the journal's path, if one appeared (then it may hold
    ///   fewer lines when the time ran out); nil if none did.
    public static func waitForLines(in directory: String, moreThan lines: Int = 6, timeout: Double = 120) -> String? {
        var journal: String?
        let deadline = Clock.now + timeout
        while Clock.now < deadline {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            if let name = files.first(where: { $0.hasSuffix(".journal.jsonl") }) {
                journal = directory + "/" + name
                let count = (try? String(contentsOfFile: journal!, encoding: .utf8))?.split(separator: "\n").count ?? 0
                if count > lines { break }
            }
            Clock.sleep(0.02)
        }
        return journal
    }
}
