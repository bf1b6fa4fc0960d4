/// The largest values a plan, a control request or a replayed trace may
/// give, so that no number can overflow the engine's arithmetic (a trap
/// kills the daemon and, with it, the mount) or make one call loop for hours.
public enum PlanLimits {
    /// The longest duration (`after`, `for`, and every delay): one day, in nanoseconds.
    /// A window longer than that is written by leaving `for` out.
    public static let longestDuration: UInt64 = 86_400 * 1_000_000_000
    /// The most bits a flip-bits corruption flips in one read.
    public static let mostFlips = 1 << 20
    /// The largest weight of one errno in a weighted set; with every errno
    /// weighted so, the total still fits the draw.
    public static let largestWeight = 1_000_000
    /// The largest process id accepted: Linux's `PID_MAX_LIMIT`, the ceiling
    /// of `pid_max`. Pids are below `pid_max`, so no process has this one;
    /// tests use it as a valid pid that names no process.
    public static let largestPID: Int32 = 4_194_304

    /// Whether `pid` can name a real process other than "every process"
    /// (-1), "my process group" (0) or another group (negative): the only
    /// pids a rule or a request may ask to signal or to exempt.
    public static func isProcessID(_ pid: Int64) -> Bool {
        pid >= 1 && pid <= Int64(largestPID)
    }

    /// `ns` as the user wrote it back, e.g. `86400s` for the limit.
    static func describe(seconds ns: UInt64) -> String { "\(ns / 1_000_000_000)s" }
}
