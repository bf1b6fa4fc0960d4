extension Effect {
    /// The effect as the trace's `result` field writes it, for a call of `length` bytes.
    func traceResult(length: Int) -> String {
        switch self {
        case .proceed: "proceed"
        case .fail(let errno): LinuxErrno.name(of: errno)
        case .short(let count): "short \(count)/\(length)"
        case .torn(let stored): "torn \(stored)/\(length)"
        case .lost: "lost \(length)"
        case .corrupt(let plan): plan.traceText
        case .killAfter(let bytes, _): "kill after \(bytes)/\(length)"
        case .powerLoss(let plan): plan.traceText
        case .fsyncFail: "fsync-fail EIO"
        }
    }

    /// The delay and effect a trace `result` records, for replay; the pid is the replaying caller's.
    static func fromTrace(result: String, pid: Int32) -> (delay: UInt64, effect: Effect)? {
        let words = result.split(separator: " ")
        guard let first = words.first else { return nil }
        // A negative count would reach pwrite and the durability log as a
        // backwards range (a trap); a trace never holds one.
        func count(_ word: Substring) -> Int? { word.split(separator: "/").first.flatMap { Int($0) }.flatMap { $0 >= 0 ? $0 : nil } }
        func hex(_ word: Substring, _ key: String) -> UInt64? {
            guard word.hasPrefix(key + "=0x") else { return nil }
            return UInt64(word.dropFirst(key.count + 3), radix: 16)
        }
        switch first {
        case "delay":
            guard words.count == 2, words[1].hasSuffix("ms") else { return nil }
            let text = words[1].dropLast(2)
            let parts = text.split(separator: ".")
            guard parts.count == 2, parts[1].count == 6, let ms = UInt64(parts[0]), let frac = UInt64(parts[1]) else { return nil }
            // A trace is input like a plan: a number too big for nanoseconds,
            // or beyond a plan's longest delay, is not replayed.
            let (ns, overflow) = ms.multipliedReportingOverflow(by: 1_000_000)
            guard !overflow, ns + frac <= PlanLimits.longestDuration else { return nil }
            return (ns + frac, .proceed)
        case "short": return words.count == 2 ? count(words[1]).map { (0, .short($0)) } : nil
        case "torn": return words.count == 2 ? count(words[1]).map { (0, .torn(stored: $0)) } : nil
        case "lost": return (0, .lost)
        case "kill":
            // A request the kernel makes itself carries pid 0: nobody to kill.
            guard pid > 0 else { return nil }
            return words.count == 3 ? count(words[2]).map { (0, .killAfter(bytes: $0, pid: pid)) } : nil
        case "fsync-fail": return (0, .fsyncFail)
        case "corrupt":
            guard words.count == 3, let mode = CorruptionMode(traceText: words[1]), let seed = hex(words[2], "seed") else { return nil }
            return (0, .corrupt(CorruptionPlan(mode: mode, seed: seed)))
        case "power-loss":
            guard words.count == 4, let seed = hex(words[1], "seed"), words[2].hasPrefix("keep="),
                  let keep = Double(words[2].dropFirst(5)), (0...1).contains(keep), words[3].hasPrefix("metadata=") else { return nil }
            return (0, .powerLoss(PowerLossPlan(seed: seed, metadata: words[3] == "metadata=true",
                                                keepProbability: keep, kill: pid > 0 ? [.pid(pid)] : [])))
        default:
            return LinuxErrno.number(named: String(first)).map { (0, .fail($0)) }
        }
    }

    /// A delay as the trace writes it: milliseconds with six decimals, so nanoseconds survive a replay.
    static func delayText(_ ns: UInt64) -> String {
        let frac = String(ns % 1_000_000)
        return "delay \(ns / 1_000_000)." + String(repeating: "0", count: 6 - frac.count) + frac + "ms"
    }
}
