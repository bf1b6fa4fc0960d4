import Foundation

/// Scenario bytes made once per run: a trial's setup and its verdict both
/// need a scenario's seeded or filler bytes, and making a megabyte of them
/// for every trial would cost more than the trial.
final class BytesCache: @unchecked Sendable {
    // @unchecked: `made` is only touched with `lock` held.
    private let lock = NSLock()
    private var made: [Scenario.Bytes: [UInt8]] = [:]

    func bytes(_ bytes: Scenario.Bytes) -> [UInt8] {
        if case .text(let text) = bytes { return Array(text.utf8) }
        lock.lock()
        defer { lock.unlock() }
        if let done = made[bytes] { return done }
        let fresh = bytes.materialize()
        made[bytes] = fresh
        return fresh
    }
}
