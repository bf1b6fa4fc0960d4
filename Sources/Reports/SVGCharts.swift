import Foundation
import Results
import ExecutorContract

/// The HTML report's charts, drawn as inline SVG from the figures (no
/// script, no network): each a pure function of the document, each with a
/// fixed id the headless-browser test looks for.
enum SVGCharts {
    static let width = 1000.0
    static let labelWidth = 300.0
    static let rowHeight = 22.0
    static let top = 28.0
    static let rightPad = 150.0

    static var plotWidth: Double { width - labelWidth - rightPad }

    /// One row of an interval chart.
    struct IntervalRow {
        var label: String
        var estimate: Estimate?
        var note: String
        var kind: String = "current"
    }

    // MARK: Prevention per pattern

    /// Each pattern's pooled prevention with its interval, then the suite's.
    static func prevention(_ figures: FigureReport) -> String {
        var rows = figures.patterns.map { p in
            IntervalRow(label: p.id, estimate: p.pooled.prevention,
                        note: p.pooled.prevention == nil ? (p.pooled.scenarios.isEmpty ? "controls only" : "did not bite") : "")
        }
        rows.append(IntervalRow(label: "suite (pooled)", estimate: figures.suite.pooled.prevention, note: "", kind: "suite"))
        if let weighted = figures.suite.weighted {
            rows.append(IntervalRow(label: "suite (weighted, \(figures.suite.mixSource))", estimate: weighted.prevention, note: "", kind: "suite"))
        }
        return intervalChart(id: "chart-prevention", rows: rows, axis: .percent,
                             caption: "Error prevention per pattern, 1 − rate(on)/rate(off), with 95% intervals")
    }

    // MARK: Comparison with the baseline

    /// Per pattern and for the suite: the baseline's interval above the current one, prevention and speedup.
    static func baseline(_ figures: FigureReport, _ baseline: BaselineComparison) -> String {
        let before = Dictionary(baseline.figures.patterns.map { ($0.id, $0.pooled) }, uniquingKeysWith: { a, _ in a })
        let now = Dictionary(figures.patterns.map { ($0.id, $0.pooled) }, uniquingKeysWith: { a, _ in a })
        let ids = Set(before.keys).union(now.keys).sorted()
        func rows(_ pick: (AggregateFigures) -> Estimate?) -> [IntervalRow] {
            var out: [IntervalRow] = []
            for id in ids {
                out.append(IntervalRow(label: id + " baseline", estimate: before[id].flatMap(pick), note: before[id] == nil ? "not in baseline" : "-", kind: "baseline"))
                out.append(IntervalRow(label: id + " now", estimate: now[id].flatMap(pick), note: now[id] == nil ? "not in this run" : "-"))
            }
            out.append(IntervalRow(label: "suite baseline", estimate: pick(baseline.figures.suite.pooled), note: "-", kind: "baseline"))
            out.append(IntervalRow(label: "suite now", estimate: pick(figures.suite.pooled), note: "-"))
            return out
        }
        let prevention = intervalChart(id: "chart-baseline-prevention", rows: rows { $0.prevention }, axis: .percent,
                                       caption: "Prevention: baseline (grey) and this run, 95% intervals")
        let speedup = intervalChart(id: "chart-baseline-speedup", rows: rows { $0.speedup }, axis: .ratio,
                                    caption: "Speedup, median(off)/median(on): baseline (grey) and this run, 95% intervals")
        return prevention + speedup
    }

    enum Axis { case percent, ratio }

    static func intervalChart(id: String, rows: [IntervalRow], axis: Axis, caption: String) -> String {
        let estimates = rows.compactMap(\.estimate)
        // Prevention runs from below 0 (the patterns cause errors) to 100%;
        // ratios on a log scale around 1.
        let lo: Double, hi: Double, ticks: [Double]
        let map: (Double) -> Double
        switch axis {
        case .percent:
            let least = estimates.map(\.lower).min() ?? 0
            lo = max(-2, min(0, (least * 4).rounded(.down) / 4))
            hi = 1
            let step = (hi - lo) > 1.5 ? 0.5 : 0.25
            ticks = stride(from: lo, through: hi + 1e-9, by: step).map { $0 }
            map = { $0 }
        case .ratio:
            let values = estimates.flatMap { [$0.lower, $0.upper] }.filter { $0 > 0 }
            let l = log2(min(values.min() ?? 0.5, 0.5)), h = log2(max(values.max() ?? 2, 2))
            lo = max(-6, l.rounded(.down)); hi = min(6, h.rounded(.up))
            ticks = stride(from: lo, through: hi, by: 1).map { $0 }
            map = { $0 > 0 ? log2($0) : lo }
        }
        let height = top + Double(rows.count) * rowHeight + 34
        func x(_ value: Double) -> Double {
            let v = min(max(map(value), lo), hi)
            return labelWidth + (v - lo) / (hi - lo) * plotWidth
        }
        func tickLabel(_ t: Double) -> String {
            axis == .percent ? "\(Int((t * 100).rounded()))%" : fmt(pow(2, t)) + "x"
        }
        func valueText(_ e: Estimate) -> String {
            axis == .percent
                ? "\(Int((e.estimate * 100).rounded()))% [\(Int((e.lower * 100).rounded())), \(Int((e.upper * 100).rounded()))]"
                : "\(fmt(e.estimate))x [\(fmt(e.lower)), \(fmt(e.upper))]"
        }
        var svg = header(id: id, height: height, caption: caption)
        let bottom = top + Double(rows.count) * rowHeight
        for t in ticks {
            let tx = axis == .percent ? x(t) : labelWidth + (t - lo) / (hi - lo) * plotWidth
            let zero = axis == .percent ? abs(t) < 1e-9 : abs(t) < 1e-9
            svg += "<line class=\"\(zero ? "axis-zero" : "grid")\" x1=\"\(f(tx))\" x2=\"\(f(tx))\" y1=\"\(f(top - 4))\" y2=\"\(f(bottom))\"/>"
            svg += "<text class=\"tick\" x=\"\(f(tx))\" y=\"\(f(bottom + 16))\" text-anchor=\"middle\">\(tickLabel(t))</text>"
        }
        for (i, row) in rows.enumerated() {
            let y = top + Double(i) * rowHeight + rowHeight / 2
            svg += "<g class=\"row \(row.kind)\">"
            svg += "<text class=\"label\" x=\"\(f(labelWidth - 8))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(Escape.html(row.label))</text>"
            if let e = row.estimate {
                let title = "<title>\(Escape.html(row.label)): \(valueText(e))</title>"
                svg += "<line class=\"ci\" x1=\"\(f(x(e.lower)))\" x2=\"\(f(x(e.upper)))\" y1=\"\(f(y))\" y2=\"\(f(y))\">\(title)</line>"
                svg += "<circle class=\"point\" cx=\"\(f(x(e.estimate)))\" cy=\"\(f(y))\" r=\"5\">\(title)</circle>"
                svg += "<text class=\"value\" x=\"\(f(labelWidth + plotWidth + 10))\" y=\"\(f(y + 4))\">\(valueText(e))</text>"
            } else {
                svg += "<text class=\"value muted\" x=\"\(f(labelWidth + plotWidth + 10))\" y=\"\(f(y + 4))\">\(Escape.html(row.note))</text>"
            }
            svg += "</g>"
        }
        return svg + "</svg>"
    }

    // MARK: Outcome mix per arm

    /// Stacked bars of outcome shares: every trial of the suite per arm, then each scenario's arms.
    static func outcomes(_ figures: FigureReport) -> String {
        var rows: [(String, OutcomeCounts, String)] = []
        var total = PerArm(off: OutcomeCounts(), on: OutcomeCounts())
        for s in figures.scenarios {
            for o in Outcome.allCases {
                total.off[o] += s.arms.off.outcomes[o]
                total.on[o] += s.arms.on.outcomes[o]
            }
        }
        rows.append(("all scenarios · off", total.off, "suite"))
        rows.append(("all scenarios · on", total.on, "suite"))
        for s in figures.scenarios {
            rows.append((s.id + " · off", s.arms.off.outcomes, "off"))
            rows.append((s.id + " · on", s.arms.on.outcomes, "on"))
        }
        let height = top + Double(rows.count) * rowHeight + 40
        var svg = header(id: "chart-outcomes", height: height, caption: "Outcome mix per arm (share of counted trials)")
        for (i, row) in rows.enumerated() {
            let y = top + Double(i) * rowHeight
            let n = row.1.total
            svg += "<g class=\"row \(row.2)\">"
            svg += "<text class=\"label\" x=\"\(f(labelWidth - 8))\" y=\"\(f(y + rowHeight / 2 + 4))\" text-anchor=\"end\">\(Escape.html(row.0))</text>"
            var x = labelWidth
            if n > 0 {
                for o in Outcome.allCases where row.1[o] > 0 {
                    let w = Double(row.1[o]) / Double(n) * plotWidth
                    svg += "<rect class=\"seg o-\(o.rawValue)\" x=\"\(f(x))\" y=\"\(f(y + 3))\" width=\"\(f(w))\" height=\"\(f(rowHeight - 6))\"><title>\(Escape.html(row.0)): \(o.rawValue) \(row.1[o]) of \(n)</title></rect>"
                    x += w
                }
            }
            let errors = row.1.errors
            svg += "<text class=\"value\" x=\"\(f(labelWidth + plotWidth + 10))\" y=\"\(f(y + rowHeight / 2 + 4))\">\(n == 0 ? "no trials" : "\(errors)/\(n) errors")</text>"
            svg += "</g>"
        }
        // Legend.
        var lx = labelWidth
        let ly = top + Double(rows.count) * rowHeight + 14
        for o in Outcome.allCases {
            svg += "<rect class=\"seg o-\(o.rawValue)\" x=\"\(f(lx))\" y=\"\(f(ly - 9))\" width=\"12\" height=\"12\"/><text class=\"tick\" x=\"\(f(lx + 16))\" y=\"\(f(ly + 1))\">\(o.rawValue)\(o.isError ? " (error)" : "")</text>"
            lx += o.isError ? 105 : 85
        }
        return svg + "</svg>"
    }

    // MARK: Time distribution per arm

    /// Each counted trial's wall time as a dot (log scale), with the arm's
    /// median as a bar; a dot is a trial, and clicking it shows the trial.
    static func times(_ run: RunResult, _ figures: FigureReport) -> String {
        let counted = run.trials.enumerated().filter { !$0.element.warmup }
        let positive = counted.map(\.element.seconds).filter { $0 > 0 }
        let least = positive.min() ?? 0.001, most = positive.max() ?? 1
        let lo = log10(least).rounded(.down), hi = max(log10(most).rounded(.up), lo + 1)
        func x(_ seconds: Double) -> Double {
            let v = min(max(log10(max(seconds, least)), lo), hi)
            return labelWidth + (v - lo) / (hi - lo) * plotWidth
        }
        let byCell = Dictionary(grouping: counted, by: { "\($0.element.scenario)\u{0}\($0.element.arm.rawValue)" })
        let rowsCount = figures.scenarios.count * 2
        let height = top + Double(rowsCount) * rowHeight + 34
        var svg = header(id: "chart-times", height: height,
                         caption: "Wall time of every counted trial per arm (log scale; bar: median). Click a dot for the trial.")
        let bottom = top + Double(rowsCount) * rowHeight
        for decade in stride(from: lo, through: hi, by: 1) {
            let tx = x(pow(10, decade))
            svg += "<line class=\"grid\" x1=\"\(f(tx))\" x2=\"\(f(tx))\" y1=\"\(f(top - 4))\" y2=\"\(f(bottom))\"/>"
            svg += "<text class=\"tick\" x=\"\(f(tx))\" y=\"\(f(bottom + 16))\" text-anchor=\"middle\">\(secondsLabel(pow(10, decade)))</text>"
        }
        var row = 0
        for s in figures.scenarios {
            for arm in Arm.allCases {
                let y = top + Double(row) * rowHeight + rowHeight / 2
                svg += "<g class=\"row \(arm.rawValue)\">"
                svg += "<text class=\"label\" x=\"\(f(labelWidth - 8))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(Escape.html(s.id + " · " + arm.rawValue))</text>"
                for (index, trial) in byCell["\(s.id)\u{0}\(arm.rawValue)"] ?? [] {
                    // A fixed jitter from the trial's number, so the chart is the same every time.
                    let jitter = Double((trial.number * 7) % 9 - 4) * 1.2
                    svg += "<circle class=\"trial-dot o-\(trial.outcome.rawValue)\" data-trial=\"\(index)\" cx=\"\(f(x(trial.seconds)))\" cy=\"\(f(y + jitter))\" r=\"3.5\"><title>\(Escape.html(trial.id)) \(trial.outcome.rawValue) \(secondsLabel(trial.seconds))</title></circle>"
                }
                let arms = arm == .off ? s.arms.off : s.arms.on
                if let median = arms.wallTime?.median {
                    svg += "<line class=\"median\" x1=\"\(f(x(median)))\" x2=\"\(f(x(median)))\" y1=\"\(f(y - 8))\" y2=\"\(f(y + 8))\"><title>median \(secondsLabel(median))</title></line>"
                    svg += "<text class=\"value\" x=\"\(f(labelWidth + plotWidth + 10))\" y=\"\(f(y + 4))\">median \(secondsLabel(median))</text>"
                }
                svg += "</g>"
                row += 1
            }
        }
        return svg + "</svg>"
    }

    // MARK: Helpers

    static func header(id: String, height: Double, caption: String) -> String {
        "<svg id=\"\(id)\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" height=\"\(f(height))\" role=\"img\" aria-label=\"\(Escape.html(caption))\"><text class=\"caption\" x=\"0\" y=\"14\">\(Escape.html(caption))</text>"
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    static func fmt(_ v: Double) -> String {
        v >= 10 ? String(format: "%.0f", v) : v >= 1 ? String(format: "%.2f", v) : String(format: "%.3g", v)
    }

    static func secondsLabel(_ s: Double) -> String {
        s < 1e-3 ? String(format: "%.0f µs", s * 1e6) : s < 1 ? String(format: "%g ms", (s * 1e4).rounded() / 10) : String(format: "%g s", (s * 100).rounded() / 100)
    }
}
