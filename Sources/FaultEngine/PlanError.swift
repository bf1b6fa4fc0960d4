/// A plan that cannot be used, with one line saying where and why.
///
/// The description reads `plan.yaml:7: rules[1].probability: 1.5 is outside
/// 0...1; use a number from 0 to 1.`; file and line are left out when the rule
/// did not come from a file.
public struct PlanError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The plan file's name, if the plan came from one.
    public var file: String?
    /// The 1-based line of the offending node, if known.
    public var line: Int?
    /// The field, e.g. `rules[1].probability`.
    public var field: String
    /// A full sentence saying what is wrong and what to write instead.
    public var message: String

    /// Creates an error.
    public init(file: String? = nil, line: Int? = nil, field: String, message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        var text = ""
        if let file { text += "\(file):" }
        if let line { text += "\(line):" }
        if !text.isEmpty { text += " " }
        return text + (field.isEmpty ? message : "\(field): \(message)")
    }
}
