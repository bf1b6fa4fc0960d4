import Yams

/// Turns a YAML plan into a `Plan`, checking every field and naming the line of the first bad one.
struct PlanParser {
    let file: String

    static let commonFields: Set<String> = [
        "name", "fault", "path", "ops", "nth", "every", "skip", "probability", "max", "after", "for", "offset", "callers",
    ]

    static let faultFields: [FaultKind: Set<String>] = [
        .missing: [], .errno: ["errno"], .transient: ["errno", "count"],
        .shortWrite: ["bytes", "fraction", "at-most"], .shortRead: ["bytes", "fraction", "at-most"],
        .tornWrite: ["block"], .lostWrite: [],
        .delay: ["ms", "distribution", "min", "max-delay", "median", "sigma", "bandwidth"],
        .corruptRead: ["mode", "flips", "bytes"], .killCaller: ["bytes"],
        .powerLoss: ["metadata", "keep-random-subset", "kill-caller", "kill"], .fsyncFail: [],
        .diskFull: ["bytes", "capacity"],
    ]

    func error(_ node: Node?, _ field: String, _ message: String) -> PlanError {
        PlanError(file: file, line: node?.mark?.line, field: field, message: message)
    }

    /// The deepest nesting a plan may have; a real plan needs five levels.
    static let deepestNesting = 100

    func parse(_ yaml: String) throws(PlanError) -> Plan {
        // Yams composes nodes recursively: a request of a million `[` would
        // overflow the stack of the thread parsing it, the daemon's included.
        let depth = PlanParser.nestingBound(yaml)
        guard depth.depth <= PlanParser.deepestNesting else {
            throw PlanError(file: file, line: depth.line, field: "", message: "the plan nests more than \(PlanParser.deepestNesting) levels deep; a plan needs only a few (rules, a rule, a field).")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let yamlError as YamlError {
            throw yamlProblem(yamlError)
        } catch {
            let text = "\(error)".split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            throw PlanError(file: file, field: "", message: "the file is not valid YAML: \(text).")
        }
        guard let root, let mapping = root.mapping else {
            throw error(root, "", "the plan must be a mapping with a `rules:` list.")
        }
        var seed: UInt64?
        var rules: [FaultRule] = []
        var lines: [Int?] = []
        for (key, value) in mapping {
            switch key.string {
            case "seed":
                guard let text = value.scalar?.string, let number = UInt64(text) else {
                    throw error(value, "seed", "\(describe(value)) is not a whole number from 0 to 2^64-1.")
                }
                seed = number
            case "rules":
                guard let sequence = value.sequence else {
                    throw error(value, "rules", "\(describe(value)) is not a list; write one `- fault: ...` item per rule.")
                }
                var named: [String: (index: Int, line: Int?)] = [:]
                for (index, item) in sequence.enumerated() {
                    let parsed = try rule(item, field: "rules[\(index)]")
                    // The engine refuses a taken name only when arming; a
                    // plan checked alone (`faultbench check`) must say so
                    // too. Unnamed rules get `<fault>-<n>`, n counting from
                    // 1 on a fresh mount, which an explicit name can clash with.
                    let name = parsed.name ?? "\(parsed.fault.kind.rawValue)-\(index + 1)"
                    if let first = named[name] {
                        let at = first.line.map { " (line \($0))" } ?? ""
                        throw error(item, "rules[\(index)].name", "\"\(name)\" is already the name of rules[\(first.index)]\(at); give each rule its own name.")
                    }
                    named[name] = (index, item.mark?.line)
                    rules.append(parsed)
                    lines.append(item.mark?.line)
                }
            default:
                throw error(key, key.string ?? "?", "is not a plan field; use `seed` or `rules`.")
            }
        }
        return Plan(seed: seed, rules: rules, file: file, lines: lines)
    }

    /// An upper bound of the YAML's nesting depth, and the line where it is
    /// reached: flow brackets open outside quotes and comments, plus on each
    /// line its indentation and its `- ` entries (each may open a level).
    /// It may overcount (a bracket in a plain scalar), never undercount.
    static func nestingBound(_ yaml: String) -> (depth: Int, line: Int) {
        let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), newline = UInt8(ascii: "\n")
        var flow = 0, deepest = 0, deepestLine = 1, line = 1
        var quote: UInt8? = nil
        var escaped = false
        var atLineStart = true, lineDepth = 0
        var inComment = false
        var previous = newline
        for byte in yaml.utf8 {
            defer { previous = byte }
            if byte == newline {
                // A quoted scalar may go on, but scanning its next lines as
                // structure can only overcount.
                line += 1
                atLineStart = true
                lineDepth = 0
                inComment = false
                quote = nil
                escaped = false
                continue
            }
            if inComment { continue }
            if let open = quote {
                if escaped {
                    escaped = false
                } else if open == UInt8(ascii: "\""), byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == open {
                    quote = nil
                }
                continue
            }
            if atLineStart {
                if byte == space || byte == tab || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "?") {
                    lineDepth += 1
                } else {
                    atLineStart = false
                }
            }
            // A quote opens a scalar only where a token can start; inside a
            // plain scalar (`it's`) it is just a character.
            let tokenStart = previous == space || previous == tab || previous == newline || previous == UInt8(ascii: "[")
                || previous == UInt8(ascii: "{") || previous == UInt8(ascii: ",") || previous == UInt8(ascii: ":")
                || previous == UInt8(ascii: "-") || previous == UInt8(ascii: "?")
            switch byte {
            case UInt8(ascii: "\"") where tokenStart, UInt8(ascii: "'") where tokenStart: quote = byte
            case UInt8(ascii: "#") where previous == space || previous == tab || previous == newline: inComment = true
            case UInt8(ascii: "["), UInt8(ascii: "{"): flow += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"): flow = max(0, flow - 1)
            default: break
            }
            if flow + lineDepth > deepest {
                deepest = flow + lineDepth
                deepestLine = line
            }
        }
        return (deepest, deepestLine)
    }

    private func yamlProblem(_ yamlError: YamlError) -> PlanError {
        switch yamlError {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return PlanError(file: file, line: mark.line, field: "", message: "the file is not valid YAML: \(problem).")
        case .duplicatedKeysInMapping(let duplicates, let context):
            // Yams's own text quotes the whole document over several lines;
            // every other error is one line, so this one is too.
            let keys = duplicates.sorted().map { "`\($0)`" }.joined(separator: ", ")
            let what = duplicates.count == 1 ? "the key \(keys) appears" : "the keys \(keys) appear"
            return PlanError(file: file, line: context.mark.line, field: "",
                             message: "\(what) more than once in one mapping; give each key once.")
        default:
            let text = "\(yamlError)".split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            return PlanError(file: file, field: "", message: "the file is not valid YAML: \(text).")
        }
    }

    func describe(_ node: Node) -> String {
        if let text = node.scalar?.string { return text.isEmpty ? "an empty value" : text }
        return node.sequence != nil ? "a list" : "a mapping"
    }

    // MARK: Rules

    private func rule(_ node: Node, field: String) throws(PlanError) -> FaultRule {
        guard let mapping = node.mapping else {
            throw error(node, field, "\(describe(node)) is not a rule; a rule is a mapping with at least `fault:`.")
        }
        var fields: [String: Node] = [:]
        var keys: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { throw error(key, field, "has a key that is not text.") }
            fields[name] = value
            keys[name] = key
        }
        guard let faultNode = fields["fault"] else {
            throw error(node, "\(field).fault", "is missing; name a fault such as errno or short-write.")
        }
        let faultName = try string(faultNode, "\(field).fault")
        guard let kind = FaultKind(rawValue: faultName) else {
            let names = FaultKind.allCases.map(\.rawValue).joined(separator: ", ")
            throw error(faultNode, "\(field).fault", "\(faultName) is not a fault; use one of \(names).")
        }
        let allowed = PlanParser.commonFields.union(PlanParser.faultFields[kind] ?? [])
        for (name, key) in keys.sorted(by: { ($0.value.mark?.line ?? 0) < ($1.value.mark?.line ?? 0) }) where !allowed.contains(name) {
            let known = allowed.sorted().joined(separator: ", ")
            throw error(key, "\(field).\(name)", "is not a field of a \(kind.rawValue) rule; use \(known).")
        }
        let fault = try self.fault(kind, fields, field: field, node: node)
        var rule = FaultRule(fault)
        if let n = fields["name"] {
            let name = try string(n, "\(field).name")
            guard !name.isEmpty else {
                throw error(n, "\(field).name", "is empty; give the rule a name, or leave `name` out for a generated one.")
            }
            rule.name = name
        }
        if let n = fields["path"] {
            let pattern = try string(n, "\(field).path")
            do {
                rule.path = try Glob(pattern)
            } catch {
                throw self.error(n, "\(field).path", error.description)
            }
        }
        if let n = fields["ops"] { rule.operations = try operations(n, "\(field).ops") }
        if let n = fields["nth"] { rule.nth = UInt64(try count(n, "\(field).nth", minimum: 1)) }
        if let n = fields["every"] { rule.every = UInt64(try count(n, "\(field).every", minimum: 1)) }
        if let n = fields["skip"] { rule.skip = UInt64(try count(n, "\(field).skip", minimum: 0)) }
        if let n = fields["max"] { rule.maxFirings = UInt64(try count(n, "\(field).max", minimum: 0)) }
        if let n = fields["probability"] {
            let p = try number(n, "\(field).probability")
            guard (0...1).contains(p) else {
                throw error(n, "\(field).probability", "\(describe(n)) is outside 0...1; use a number from 0 to 1.")
            }
            rule.probability = p
        }
        if let n = fields["after"] { rule.after = try duration(n, "\(field).after") }
        if let n = fields["for"] { rule.duration = try duration(n, "\(field).for") }
        if let n = fields["offset"] { rule.offsets = try offsets(n, "\(field).offset") }
        if let n = fields["callers"] { rule.callers = try callers(n, "\(field).callers") }
        do {
            try rule.validate(field: field)
        } catch {
            var located = error
            located.file = file
            let leaf = error.field.split(separator: ".").last.map(String.init) ?? ""
            located.line = (fields[leaf] ?? node).mark?.line
            throw located
        }
        return rule
    }

    private func fault(_ kind: FaultKind, _ fields: [String: Node], field: String, node: Node) throws(PlanError) -> Fault {
        switch kind {
        case .missing: return .missing
        case .lostWrite: return .lostWrite
        case .fsyncFail: return .fsyncFail
        case .errno:
            guard let n = fields["errno"] else {
                throw error(node, "\(field).errno", "is missing; name an errno such as EIO, or a weighted map like {EIO: 3, ENOSPC: 1}.")
            }
            return .errno(try errnoChoice(n, "\(field).errno"))
        case .transient:
            let choice = try fields["errno"].map { n throws(PlanError) in try errnoChoice(n, "\(field).errno") } ?? ErrnoChoice(LinuxErrno.EIO)
            var count: UInt64? = try fields["count"].map { n throws(PlanError) in UInt64(try self.count(n, "\(field).count", minimum: 0)) }
            if count == nil, fields["for"] == nil { count = 1 }
            return .transient(choice, count: count)
        case .shortWrite, .shortRead:
            let given = ["bytes", "fraction", "at-most"].filter { fields[$0] != nil }
            guard given.count == 1 else {
                throw error(node, "\(field).bytes", "give exactly one of bytes, fraction or at-most for a \(kind.rawValue) rule.")
            }
            let amount: ShortAmount
            switch given[0] {
            case "bytes": amount = .bytes(try count(fields["bytes"]!, "\(field).bytes", minimum: 0))
            case "fraction": amount = .fraction(try number(fields["fraction"]!, "\(field).fraction"))
            default: amount = .atMost(try count(fields["at-most"]!, "\(field).at-most", minimum: 1))
            }
            return kind == .shortWrite ? .shortWrite(amount) : .shortRead(amount)
        case .tornWrite:
            return .tornWrite(block: try fields["block"].map { n throws(PlanError) in try count(n, "\(field).block", minimum: 1) } ?? 4096)
        case .delay:
            var model = DelayModel()
            let kindName = try fields["distribution"].map { n throws(PlanError) in try string(n, "\(field).distribution") }
            switch kindName ?? (fields["ms"] != nil ? "fixed" : nil) {
            case "fixed"?:
                guard let n = fields["ms"] else { throw error(node, "\(field).ms", "is missing; give the fixed delay in milliseconds, e.g. 5.") }
                model.distribution = .fixed(try milliseconds(n, "\(field).ms"))
            case "uniform"?:
                guard let low = fields["min"], let high = fields["max-delay"] else {
                    throw error(node, "\(field).min", "a uniform delay needs min and max-delay, e.g. min: 1ms, max-delay: 10ms.")
                }
                model.distribution = .uniform(min: try duration(low, "\(field).min"), max: try duration(high, "\(field).max-delay"))
            case "log-normal"?:
                guard let median = fields["median"] else {
                    throw error(node, "\(field).median", "is missing; a log-normal delay needs a median such as 2ms.")
                }
                let sigma = try fields["sigma"].map { n throws(PlanError) in try number(n, "\(field).sigma") } ?? 0.5
                model.distribution = .logNormal(median: try duration(median, "\(field).median"), sigma: sigma)
            case nil:
                break
            case let other?:
                throw error(fields["distribution"], "\(field).distribution", "\(other) is not a distribution; use fixed, uniform or log-normal.")
            }
            if let n = fields["bandwidth"] { model.bytesPerSecond = UInt64(try count(n, "\(field).bandwidth", minimum: 1)) }
            guard model.distribution != nil || model.bytesPerSecond != nil else {
                throw error(node, "\(field).ms", "is missing; give ms, a distribution or a bandwidth for a delay rule.")
            }
            return .delay(model)
        case .corruptRead:
            let mode = try fields["mode"].map { n throws(PlanError) in try string(n, "\(field).mode") } ?? "flip-bits"
            let bytes = try fields["bytes"].map { n throws(PlanError) in try count(n, "\(field).bytes", minimum: 1) }
            switch mode {
            case "flip-bits":
                let flips = try fields["flips"].map { n throws(PlanError) in try count(n, "\(field).flips", minimum: 1, maximum: PlanLimits.mostFlips) }
                return .corruptRead(.flipBits(flips ?? 1))
            case "zero": return .corruptRead(.zero(bytes: bytes))
            case "random": return .corruptRead(.random(bytes: bytes))
            default: throw error(fields["mode"], "\(field).mode", "\(mode) is not a corruption mode; use flip-bits, zero or random.")
            }
        case .killCaller:
            guard let n = fields["bytes"] else {
                throw error(node, "\(field).bytes", "is missing; give the byte count at which the caller is killed.")
            }
            return .killCaller(afterBytes: Int64(try count(n, "\(field).bytes", minimum: 0)))
        case .powerLoss:
            var options = PowerLossOptions()
            if let n = fields["metadata"] { options.metadata = try bool(n, "\(field).metadata") }
            if let n = fields["kill-caller"] { options.killCaller = try bool(n, "\(field).kill-caller") }
            if let n = fields["keep-random-subset"] {
                let p = try number(n, "\(field).keep-random-subset")
                guard (0...1).contains(p) else {
                    throw error(n, "\(field).keep-random-subset", "\(describe(n)) is outside 0...1; use a number from 0 to 1.")
                }
                options.keepProbability = p
            }
            if let n = fields["kill"] { options.kill = try matches(n, "\(field).kill") }
            return .powerLoss(options)
        case .diskFull:
            guard let n = fields["bytes"] else {
                throw error(node, "\(field).bytes", "is missing; give the bytes that may be written before ENOSPC.")
            }
            let capacity = try fields["capacity"].map { n throws(PlanError) in Int64(try count(n, "\(field).capacity", minimum: 0)) }
            return .diskFull(afterBytes: Int64(try count(n, "\(field).bytes", minimum: 0)), capacity: capacity)
        }
    }
}
