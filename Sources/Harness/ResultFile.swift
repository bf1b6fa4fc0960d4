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

    /// Writes any Codable value (a comparison) to `path` atomically, as sorted-key JSON.
    public static func writeJSON<Value: Encodable>(_ value: Value, to path: String) -> Result<Void, HarnessError> {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else {
            return .failure(HarnessError("the document for '\(path)' could not be encoded as JSON."))
        }
        do {
            try AtomicFile.write(Array(data) + [UInt8(ascii: "\n")], to: FilePath(path))
            return .success(())
        } catch {
            return .failure(HarnessError("cannot write '\(path)': \(error)"))
        }
    }

    /// Copies a results document byte for byte to `path`, atomically, after
    /// reading it as a results document (so a file this faultbench cannot
    /// read is never installed); creates `path`'s directory if needed.
    public static func install(_ source: String, to path: String) -> Result<RunResult, HarnessError> {
        let run: RunResult
        switch read(source) {
        case .failure(let error): return .failure(error)
        case .success(let value): run = value
        }
        guard let bytes = FileManager.default.contents(atPath: source) else {
            return .failure(HarnessError("cannot read the result file '\(source)'; check the path."))
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                return .failure(HarnessError("cannot create the directory '\(directory)' for '\(path)': \(error.localizedDescription)"))
            }
        }
        do {
            try AtomicFile.write(Array(bytes), to: FilePath(path))
            return .success(run)
        } catch {
            return .failure(HarnessError("cannot write '\(path)': \(error)"))
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
        } catch let error as DecodingError {
            return .failure(HarnessError("'\(path)' is not a valid results document: \(Self.describe(error)); name a results document written by faultbench run."))
        } catch {
            return .failure(HarnessError("'\(path)' is not a valid results document: \(error)."))
        }
    }

    /// A decoding error in one line: the field's path and what was wrong.
    static func describe(_ error: DecodingError) -> String {
        func field(_ path: [CodingKey]) -> String {
            let text = path.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : (text.isEmpty ? "the top level" : text)
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(field(context.codingPath + [key])) is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let detail = context.debugDescription.split(separator: "\n").first.map(String.init) ?? ""
            return "\(field(context.codingPath)): \(detail)"
        @unknown default: return "\(error)".split(separator: "\n").first.map(String.init) ?? "unreadable"
        }
    }
}
