/// A file format a handler understands, named by a short identifier.
///
/// Open-ended on purpose: the four built-in formats are statics, and a
/// caller can add its own (`FileFormat("toml")`) with a custom handler.
public struct FileFormat: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Creates a format from its name.
    public init(_ name: String) { self.rawValue = name }

    /// JSON (RFC 8259).
    public static let json = FileFormat("json")
    /// YAML, one document, read with Yams (libyaml) and typed as `YAMLNode` says.
    public static let yaml = FileFormat("yaml")
    /// Comma-separated values (RFC 4180) with a header row.
    public static let csv = FileFormat("csv")
    /// UTF-8 text without NUL bytes.
    public static let text = FileFormat("text")

    public var description: String { rawValue }
}

/// The typed value a handler produced from a validated file.
public enum FileContent: Sendable {
    case json(JSONValue)
    case yaml(YAMLNode)
    case csv(CSVTable)
    case text(String)
    /// A value from a caller-registered handler.
    case custom(FileFormat, any Sendable)

    /// The format this content was parsed as.
    public var format: FileFormat {
        switch self {
        case .json: .json
        case .yaml: .yaml
        case .csv: .csv
        case .text: .text
        case .custom(let f, _): f
        }
    }
}

/// A JSON value.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    /// Members in file order; keys are unique (duplicates are rejected while parsing).
    case object([JSONMember])

    /// The member named `key` of an object, or nil.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }
}

/// One `"key": value` pair of a JSON object.
public struct JSONMember: Sendable, Equatable {
    public var key: String
    public var value: JSONValue
    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// A YAML node: anchors and aliases are expanded, tags other than the core schema's are refused.
public indirect enum YAMLNode: Sendable, Equatable {
    /// An empty value, `~` or `null`.
    case null
    /// A plain (unquoted) scalar as written; whether `8080` is a number is the reader's choice.
    case scalar(String)
    /// A quoted or block (`|`, `>`) scalar: always a string. Quotes removed, escapes resolved.
    case string(String)
    case sequence([YAMLNode])
    /// Entries in file order; keys are unique.
    case mapping([YAMLEntry])

    /// The value under `key` of a mapping, or nil.
    public subscript(key: String) -> YAMLNode? {
        guard case .mapping(let entries) = self else { return nil }
        return entries.first { $0.key == key }?.value
    }

    /// The text of a plain or quoted scalar, or nil.
    public var text: String? {
        switch self {
        case .scalar(let s), .string(let s): s
        default: nil
        }
    }
}

/// One `key: value` entry of a YAML mapping.
public struct YAMLEntry: Sendable, Equatable {
    public var key: String
    public var value: YAMLNode
    public init(_ key: String, _ value: YAMLNode) {
        self.key = key
        self.value = value
    }
}

/// A CSV file: a header row and records with exactly as many fields.
public struct CSVTable: Sendable, Equatable {
    public var header: [String]
    public var rows: [[String]]
    public init(header: [String], rows: [[String]]) {
        self.header = header
        self.rows = rows
    }
}

/// A problem found in a file's bytes, with its position when it has one.
///
/// Parsers (built in or registered) return this; the registry adds the
/// path and turns it into a `FileContentError`.
public struct ParseProblem: Error, Sendable, Equatable {
    /// What is wrong, as a sentence fragment ("expected ',' or '}'").
    public var message: String
    /// Byte offset of the problem in the file, when known.
    public var offset: Int?
    /// True when the input ended in the middle of a value: the sign of a truncated file.
    public var atEnd: Bool

    public init(_ message: String, offset: Int?, atEnd: Bool = false) {
        self.message = message
        self.offset = offset
        self.atEnd = atEnd
    }
}

/// 1-based line and column (in characters) of a byte offset.
func lineAndColumn(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
    var line = 1
    var column = 1
    var i = 0
    let end = min(offset, bytes.count)
    while i < end {
        let b = bytes[i]
        if b == 0x0A {
            line += 1
            column = 1
        } else if b & 0xC0 != 0x80 {
            column += 1
        }
        i += 1
    }
    return (line, column)
}
