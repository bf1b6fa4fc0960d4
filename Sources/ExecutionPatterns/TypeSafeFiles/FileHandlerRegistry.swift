import Foundation
import SystemPackage

/// A parser for one format: bytes in, a typed value or a positioned problem out.
public struct FileHandler: Sendable {
    /// The format this handler produces.
    public let format: FileFormat
    /// Whether the bytes must be UTF-8 text; if so, the registry checks the encoding first.
    public let requiresText: Bool
    /// Turns validated bytes (byte order mark removed) into a value.
    public let parse: @Sendable (_ bytes: [UInt8]) -> Result<FileContent, ParseProblem>

    /// Creates a handler.
    public init(format: FileFormat, requiresText: Bool = true, parse: @escaping @Sendable (_ bytes: [UInt8]) -> Result<FileContent, ParseProblem>) {
        self.format = format
        self.requiresText = requiresText
        self.parse = parse
    }

    /// JSON (RFC 8259), strict.
    public static let json = FileHandler(format: .json) { JSONParser.parse($0).map(FileContent.json) }
    /// YAML, read with Yams and typed as `YAMLNode` describes; a JSON document is YAML too.
    public static let yaml = FileHandler(format: .yaml) { YAMLParser.parse($0).map(FileContent.yaml) }
    /// CSV with a header row; every record must have as many fields as the header.
    public static let csv = FileHandler(format: .csv) { CSVParser.parse($0).map(FileContent.csv) }
    /// UTF-8 text.
    public static let text = FileHandler(format: .text) { .success(.text(String(decoding: $0, as: UTF8.self))) }
}

/// EXEC-001: a registry that picks a file's handler by extension or content, validates, and returns a typed value.
///
/// The file is read in full through one descriptor (open, fstat, read to end
/// of file), so a short read, an empty file, bad encoding, a syntax error or
/// a content that does not match the extension all come back as a
/// `FileContentError` with the path and, when there is one, the line and
/// column. Nothing in a corrupt file can make it crash.
///
/// Anti-pattern: trying every parser until one does not throw, or checking
/// the extension with no registry behind it. Both accept a `.json` file
/// holding CSV, and neither says where the file went wrong.
public struct FileHandlerRegistry: Sendable {
    /// How the handler is chosen.
    public enum Dispatch: Sendable {
        /// By the extension only; unknown or missing extensions are errors.
        case byExtension
        /// By sniffing the content only.
        case byContent
        /// By extension when one is registered, else by content.
        case byExtensionThenContent
    }

    private var formatsByExtension: [String: FileFormat] = [:]
    private var handlers: [FileFormat: FileHandler] = [:]
    /// Files larger than this are refused before they are read.
    public var maximumSize: Int = 64 << 20

    /// A registry with the four built-in handlers: json; yaml, yml; csv; txt, text, md, log.
    public init() {
        register(.json, extensions: ["json"])
        register(.yaml, extensions: ["yaml", "yml"])
        register(.csv, extensions: ["csv"])
        register(.text, extensions: ["txt", "text", "md", "log"])
    }

    /// A registry with no handlers.
    public static func empty() -> FileHandlerRegistry {
        var r = FileHandlerRegistry()
        r.formatsByExtension = [:]
        r.handlers = [:]
        return r
    }

    /// Registers (or replaces) a handler and maps extensions to it (case-insensitive, without the dot).
    public mutating func register(_ handler: FileHandler, extensions: [String]) {
        handlers[handler.format] = handler
        for ext in extensions {
            formatsByExtension[ext.lowercased().trimmingPrefix(".").description] = handler.format
        }
    }

    /// The format registered for `path`'s extension, if any.
    public func format(forExtensionOf path: FilePath) -> FileFormat? {
        path.extension.flatMap { formatsByExtension[$0.lowercased()] }
    }

    /// Reads, validates and parses the file at `path`.
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - dispatch: How to choose the handler.
    ///   - deadline: Checked before each `read`; a slow device overruns it by one call at most.
    /// - Returns: The typed content, or why it could not be produced.
    public func load(_ path: FilePath, dispatch: Dispatch = .byExtension, deadline: Deadline? = nil) -> Result<FileContent, FileContentError> {
        var declared: FileFormat? = nil
        if dispatch != .byContent {
            declared = format(forExtensionOf: path)
            if declared == nil, dispatch == .byExtension {
                let kind: FileContentError.Kind = path.extension.map { .unsupportedExtension($0) } ?? .noExtension
                return .failure(FileContentError(path: path, format: nil, kind: kind))
            }
        }
        let read: ReadFile
        switch FileReader.readAll(path, limit: maximumSize, deadline: deadline) {
        case .success(let r): read = r
        case .failure(let f): return .failure(Self.error(f, path: path, format: declared))
        }
        if read.bytes.count < read.statSize {
            return .failure(FileContentError(path: path, format: declared, kind: .shortRead(expected: read.statSize, read: read.bytes.count)))
        }
        return validate(read.bytes, as: declared, path: path)
    }

    /// Validates bytes already in memory as `format` (or by content when nil).
    ///
    /// Ground-truth verification uses this on the bytes it re-read itself.
    public func validate(_ bytes: [UInt8], as format: FileFormat?, path: FilePath) -> Result<FileContent, FileContentError> {
        func fail(_ kind: FileContentError.Kind, _ f: FileFormat?, _ offset: Int? = nil) -> Result<FileContent, FileContentError> {
            let pos = offset.map { lineAndColumn(of: $0, in: bytes) }
            return .failure(FileContentError(path: path, format: f, kind: kind, line: pos?.line, column: pos?.column))
        }
        let bom = TextCheck.bomLength(bytes)
        if bytes.count == bom { return fail(.empty, format) }
        let body = bom == 0 ? bytes : Array(bytes[bom...])
        // Sniffing parses the content, so it runs only when it can change the answer.
        var sniffed: FileFormat?? = nil
        func detect() -> FileFormat? {
            if let s = sniffed { return s }
            let d = ContentSniffer.detect(bytes)
            sniffed = .some(d)
            return d
        }
        let chosen: FileFormat
        if let format {
            chosen = format
        } else if let detected = detect(), handlers[detected] != nil {
            chosen = detected
        } else if detect() != nil, handlers[.text] != nil {
            chosen = .text
        } else {
            return fail(.unrecognizedContent, nil)
        }
        guard let handler = handlers[chosen] else { return fail(.unsupportedExtension(chosen.rawValue), chosen) }
        if handler.requiresText, let p = TextCheck.problem(bytes) {
            return fail(p.atEnd ? .truncated(p.message) : .invalidEncoding(p.message), chosen, p.offset)
        }
        // A well-formed JSON document in a CSV or text file is a mix-up, even
        // though the CSV and text parsers would accept it.
        if chosen == .csv, ContentSniffer.isJSONDocument(bytes) { return fail(.contentMismatch(declared: chosen, detected: .json), chosen) }
        switch handler.parse(body) {
        case .success(let content):
            return .success(content)
        case .failure(let p):
            let offset = p.offset.map { $0 + bom }
            if let detected = detect(), detected != chosen, detected != .text {
                return fail(.contentMismatch(declared: chosen, detected: detected), chosen, offset)
            }
            return fail(p.atEnd ? .truncated(p.message) : .syntax(p.message), chosen, offset)
        }
    }

    /// Loads a JSON or YAML file and decodes it into `T` with `JSONDecoder`.
    ///
    /// YAML scalars that read as integers, numbers or booleans are given to the
    /// decoder as such, so `port: 8080` decodes into an `Int`.
    public func decode<T: Decodable>(_ type: T.Type, from path: FilePath, dispatch: Dispatch = .byExtension, deadline: Deadline? = nil) -> Result<T, FileContentError> {
        load(path, dispatch: dispatch, deadline: deadline).flatMap { content in
            let json: JSONValue
            switch content {
            case .json(let v): json = v
            case .yaml(let n): json = n.jsonValue
            default:
                return .failure(FileContentError(path: path, format: content.format, kind: .schema("only JSON and YAML content can be decoded into \(T.self)")))
            }
            do {
                return .success(try JSONDecoder().decode(T.self, from: Data(json.serialized())))
            } catch {
                return .failure(FileContentError(path: path, format: content.format, kind: .schema("it does not match \(T.self): \(error)")))
            }
        }
    }

    private static func error(_ f: ReadFailure, path: FilePath, format: FileFormat?) -> FileContentError {
        switch f {
        case .system(let e): FileContentError(path: path, format: format, kind: .unreadable(e))
        case .notRegularFile: FileContentError(path: path, format: format, kind: .notRegularFile)
        case .tooLarge(_, let size, let limit): FileContentError(path: path, format: format, kind: .tooLarge(size: size, limit: limit))
        case .deadlineExceeded(_, let n): FileContentError(path: path, format: format, kind: .deadlineExceeded(bytesRead: n))
        }
    }
}

extension JSONValue {
    var yamlNode: YAMLNode {
        switch self {
        case .null: .null
        case .bool(let b): .scalar(b ? "true" : "false")
        case .number(let d): .scalar(d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d))
        case .string(let s): .string(s)
        case .array(let a): .sequence(a.map(\.yamlNode))
        case .object(let m): .mapping(m.map { YAMLEntry($0.key, $0.value.yamlNode) })
        }
    }

    /// Compact JSON text of the value.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        write(into: &out)
        return out
    }

    private func write(into out: inout [UInt8]) {
        switch self {
        case .null: out += Array("null".utf8)
        case .bool(let b): out += Array((b ? "true" : "false").utf8)
        case .number(let d): out += Array((d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)).utf8)
        case .string(let s): Self.writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (n, v) in a.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                v.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let m):
            out.append(UInt8(ascii: "{"))
            for (n, member) in m.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                member.value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for u in s.utf8 {
            switch u {
            case UInt8(ascii: "\""): out += [0x5C, 0x22]
            case UInt8(ascii: "\\"): out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            case 0..<0x20: out += Array(String(format: "\\u%04x", Int(u)).utf8)
            default: out.append(u)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension YAMLNode {
    /// The node as JSON: plain scalars that read as integers, numbers or booleans are typed accordingly; quoted and block scalars stay strings.
    public var jsonValue: JSONValue {
        switch self {
        case .null: return .null
        case .string(let s): return .string(s)
        case .scalar(let s):
            if s == "true" || s == "True" || s == "TRUE" { return .bool(true) }
            if s == "false" || s == "False" || s == "FALSE" { return .bool(false) }
            if let i = Int64(s) { return .number(Double(i)) }
            if let d = Double(s), s.contains(where: { $0.isNumber }), !s.lowercased().contains("n") { return .number(d) }
            return .string(s)
        case .sequence(let items): return .array(items.map(\.jsonValue))
        case .mapping(let entries): return .object(entries.map { JSONMember($0.key, $0.value.jsonValue) })
        }
    }
}
