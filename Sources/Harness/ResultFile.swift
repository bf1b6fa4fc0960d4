import ExecutionPatterns
import Foundation
import Results
import SystemPackage

/// Writes and reads results documents. Writing goes through the pattern
/// library's own atomic write (EXEC-004): a reader never sees half a
/// document, and a crash leaves the previous one.
public enum ResultFile {
    /// Writes `result` to `path` atomically, as sorted-key JSON.
    public static func write(_ result: RunResult, to path: String) -> Result<Void, HarnessError> {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(result) else {
            return .failure(HarnessError("the results document could not be encoded as JSON."))
        }
        do {
            try AtomicFile.write(Array(data) + [UInt8(ascii: "\n")], to: FilePath(path))
            return .success(())
        } catch {
            return .failure(HarnessError("cannot write the results to '\(path)': \(error)"))
        }
    }

    /// Reads a results document, refusing a schema version this code does not know.
    public static func read(_ path: String) -> Result<RunResult, HarnessError> {
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(HarnessError("cannot read the result file '\(path)'; check the path."))
        }
        struct Version: Decodable { var schemaVersion: Int? }
        guard let version = try? JSONDecoder().decode(Version.self, from: data) else {
            return .failure(HarnessError("'\(path)' is not JSON; name a results document written by faultbench run."))
        }
        guard version.schemaVersion == RunResult.currentSchemaVersion else {
            let found = version.schemaVersion.map(String.init) ?? "none"
            return .failure(HarnessError("'\(path)' has schema version \(found); this faultbench reads version \(RunResult.currentSchemaVersion)."))
        }
        do {
            return .success(try JSONDecoder().decode(RunResult.self, from: data))
        } catch {
            return .failure(HarnessError("'\(path)' is not a valid results document: \(error)."))
        }
    }
}
