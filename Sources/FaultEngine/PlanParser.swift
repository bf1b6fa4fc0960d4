import Yams

/// Turns a YAML plan into a `Plan`, checking every field and naming the line of the first bad one.
struct PlanParser {
    let file: String

    static let commonFields: Set<String> = [
        "name", "fault", "path", "ops", "nth", "every", "probability", "max", "after", "for", "offset", "callers",
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

    func parse(_ yaml: String) throws(PlanError) -> Plan {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let yamlError as YamlError {
            throw yamlProblem(yamlError)
        } catch {
            throw PlanError(file: file, field: "", message: "the file is not valid YAML: \(error).")
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
                for (index, item) in sequence.enumerated() {
                    rules.append(try rule(item, field: "rules[\(index)]"))
                    lines.append(item.mark?.line)
                }
            default:
                throw error(key, key.string ?? "?", "is not a plan field; use `seed` or `rules`.")
            }
        }
        return Plan(seed: seed, rules: rules, file: file, lines: lines)
    }

    private func yamlProblem(_ yamlError: YamlError) -> PlanError {
        switch yamlError {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return PlanError(file: file, line: mark.line, field: "", message: "the file is not valid YAML: \(problem).")
        default:
            return PlanError(file: file, field: "", message: "the file is not valid YAML: \(yamlError).")
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
        if let n = fields["name"] { rule.name = try string(n, "\(field).name") }
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
            case "flip-bits": return .corruptRead(.flipBits(try fields["flips"].map { n throws(PlanError) in try count(n, "\(field).flips", minimum: 1) } ?? 1))
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
