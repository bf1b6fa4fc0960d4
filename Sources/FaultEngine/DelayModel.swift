import Foundation

/// The latency a delay rule adds: a distribution, a bandwidth cap, or both (they add up).
public struct DelayModel: Sendable, Hashable {
    /// The per-call latency, if any.
    public var distribution: DelayDistribution?
    /// A bandwidth cap in bytes per second; adds `length / bandwidth` to each call.
    public var bytesPerSecond: UInt64?

    /// Creates a model.
    public init(_ distribution: DelayDistribution? = nil, bytesPerSecond: UInt64? = nil) {
        self.distribution = distribution
        self.bytesPerSecond = bytesPerSecond
    }

    /// The delay in nanoseconds for a call moving `length` bytes, at most
    /// `PlanLimits.longestDuration`: a log-normal tail or a tiny bandwidth
    /// must neither overflow the sum nor park a worker for centuries.
    func nanoseconds(length: Int, _ stream: inout RandomStream) -> UInt64 {
        var total: UInt64 = 0
        if let distribution { total = distribution.draw(&stream) }
        if let bytesPerSecond, bytesPerSecond > 0, length > 0 {
            let (high, low) = UInt64(length).multipliedFullWidth(by: 1_000_000_000)
            // dividingFullWidth traps when the quotient does not fit 64 bits,
            // which is exactly when the high word is not below the divisor.
            let transfer = high >= bytesPerSecond ? UInt64.max : bytesPerSecond.dividingFullWidth((high, low)).quotient
            let (sum, overflow) = total.addingReportingOverflow(transfer)
            total = overflow ? .max : sum
        }
        return min(total, PlanLimits.longestDuration)
    }
}

/// A latency distribution, in nanoseconds.
public enum DelayDistribution: Sendable, Hashable {
    /// Always this long.
    case fixed(UInt64)
    /// Uniform in `min...max`.
    case uniform(min: UInt64, max: UInt64)
    /// Log-normal with this median and shape `sigma`; a heavy tail like real storage latency.
    case logNormal(median: UInt64, sigma: Double)

    func draw(_ stream: inout RandomStream) -> UInt64 {
        switch self {
        case .fixed(let ns):
            return ns
        case .uniform(let low, let high):
            guard high > low else { return low }
            let span = high - low
            return span == .max ? stream.next() : low + stream.next(below: span + 1)
        case .logNormal(let median, let sigma):
            // Box-Muller from two uniform draws; 1 - u keeps log away from zero.
            let u1 = 1 - stream.nextUnit()
            let u2 = stream.nextUnit()
            let normal = (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
            let value = Double(median) * Foundation.exp(sigma * normal)
            // A median of 0 times an infinite factor is NaN (found by the
            // plan fuzzer): a zero median is a zero delay whatever sigma says.
            guard !value.isNaN else { return 0 }
            return value >= Double(UInt64.max) ? .max : UInt64(value.rounded())
        }
    }
}
