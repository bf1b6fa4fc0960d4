import FaultEngine
import Yams

/// `faults:` — the rules are checked by the plan parser itself, so a
/// scenario accepts exactly what `faultbench mount --plan` does; its errors
/// are mapped back to the line in the scenario file.
extension ScenarioParser {
    func faults(_ node: Node) throws(ScenarioError) -> Scenario.Faults {
        let entry = try fields(node, "faults", allowed: ["arm", "rules"], what: "a faults section")
        var faults = Scenario.Faults()
        if let arm = entry["arm"] { faults.arm = try armTime(arm) }
        guard let rulesNode = entry["rules"] else { return faults }
        let items = try list(rulesNode, "faults.rules", of: "rule")
        var names: Set<String> = []
        for (index, item) in items.enumerated() {
            let field = "faults.rules[\(index)]"
            // Paths are relative to the trial's directory; the runner puts
            // the trial's directory in front, so `/` or `..` would escape it.
            if let mapping = item.mapping, let path = mapping["path"] {
                _ = try relativePath(path, "\(field).path", glob: true)
            }
            // A trial's faults reach only the trial's own processes: a rule
            // that named processes (by pid, name or executable) would reach
            // whatever on the machine matches, and a shared scenario file
            // could kill a user's shells. The caller of a call is the trial's.
            for key in ["kill", "callers"] {
                if let mapping = item.mapping, let named = mapping[key] {
                    throw fail(named, "\(field).\(key)", "names processes, which a scenario may not: its faults reach only the trial's own processes (the caller, for kill-caller and power-loss). Leave \(key) out.")
                }
            }
            if let mapping = item.mapping, let nameNode = mapping["name"], let name = nameNode.scalar?.string {
                guard names.insert(name).inserted else {
                    throw fail(nameNode, "\(field).name", "\(name) names an earlier rule too; give each rule its own name.")
                }
            }
        }
        let text: String
        do {
            text = try Yams.serialize(node: .mapping(.init([(Node("rules"), rulesNode)])))
        } catch {
            throw fail(rulesNode, "faults.rules", "cannot be read as a plan: \(error).")
        }
        let plan: Plan
        do {
            plan = try Plan.parse(yaml: text, file: file)
        } catch {
            throw located(error, rules: items)
        }
        faults.rules = plan.rules
        faults.sources = items.map(PlanValue.init)
        return faults
    }

    /// `before`, `{after: DURATION}`, or `{after-calls: N}`.
    private func armTime(_ node: Node) throws(ScenarioError) -> Scenario.ArmTime {
        if let text = node.scalar?.string {
            guard text == "before" else {
                throw fail(node, "faults.arm", "\(describe(node)) is not an arm time; write before, {after: 20ms} or {after-calls: 3}.")
            }
            return .beforeTask
        }
        let entry = try fields(node, "faults.arm", allowed: ["after", "after-calls"], what: "an arm time")
        let given = [entry["after"], entry["after-calls"]].compactMap { $0 }.count
        guard given == 1 else {
            throw fail(node, "faults.arm", "has \(given == 0 ? "neither" : "both") of after and after-calls; give exactly one.")
        }
        if let calls = entry["after-calls"] {
            return .afterCalls(UInt64(try integer(calls, "faults.arm.after-calls", in: 0...1_000_000_000)))
        }
        let seconds = try seconds(entry["after"]!, "faults.arm.after", allowZero: true)
        // Below a day (checked), so the product fits in UInt64.
        return .after(nanoseconds: UInt64((seconds * 1e9).rounded()))
    }

    /// The plan parser's error with the field renamed `faults.rules[...]`
    /// and the line of that node in the scenario file.
    private func located(_ error: PlanError, rules: [Node]) -> ScenarioError {
        var field = error.field
        var line: Int?
        if field.hasPrefix("rules[") {
            field = "faults." + field
            line = lineOf(planField: String(error.field.dropFirst("rules".count)), rules: rules)
        } else if field.isEmpty || field == "rules" {
            field = "faults.rules"
        }
        return ScenarioError(file: file, line: line ?? rules.first?.mark?.line, field: field, message: error.message)
    }

    /// Walks `[1].offset.from` down the rule nodes as far as it goes.
    private func lineOf(planField: String, rules: [Node]) -> Int? {
        guard planField.hasPrefix("["), let close = planField.firstIndex(of: "]"),
              let index = Int(planField[planField.index(after: planField.startIndex)..<close]), rules.indices.contains(index) else {
            return nil
        }
        var node = rules[index]
        var line = node.mark?.line
        for key in planField[planField.index(after: close)...].split(separator: ".") {
            guard let mapping = node.mapping, let pair = mapping.first(where: { $0.key.string == String(key) }) else { break }
            node = pair.value
            line = pair.value.mark?.line ?? pair.key.mark?.line
        }
        return line
    }
}
