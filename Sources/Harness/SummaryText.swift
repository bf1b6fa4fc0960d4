import Results

/// The run's summary for the terminal (until the Figures table lands).
public enum SummaryText {
    public static func render(_ result: RunResult) -> String {
        var lines: [String] = []
        for scenario in result.scenarios {
            let trials = result.trials.filter { $0.scenario == scenario.id && !$0.warmup }
            func errors(_ arm: String) -> String {
                let mine = trials.filter { $0.arm.rawValue == arm }
                return "\(mine.filter { $0.outcome.isError }.count)/\(mine.count)"
            }
            lines.append("\(scenario.id): errors off \(errors("off")), on \(errors("on"))")
        }
        return lines.joined(separator: "\n")
    }
}
