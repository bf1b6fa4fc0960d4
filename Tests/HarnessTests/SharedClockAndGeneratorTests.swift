import Determinism
import ExecutionPatterns
import FaultEngine
import Testing

/// The fault engine and the pattern library used to define a `SystemClock`
/// and a `ManualClock` each (and the engine a `SplitMix64` beside the
/// library's `SeededRandom`), so a file importing both, as this one does, got
/// ambiguous names. Now both take Determinism's: this file compiling with the
/// names unqualified is half the test.
@Suite("The engine and the patterns share one clock and one generator")
struct SharedClockAndGeneratorTests {
    /// An error the retrier treats as worth another try.
    struct Refused: RetryClassifiable {
        var isTransient: Bool { true }
    }

    /// A retrier's backoff sleeps on the same `ManualClock` the engine
    /// reads, so they move the engine past a rule's window: the call fails
    /// while the rule is active and succeeds once the sleeps add up to it.
    @Test func oneManualClockDrivesTheEngineAndARetrier() async throws {
        let clock = ManualClock()
        let engine = FaultEngine(seed: 1, clock: clock)
        try engine.arm(FaultRule(.errno(ErrnoChoice(11)), operations: [.open], duration: 500_000_000))
        let policy = RetryPolicy(maxAttempts: 100, initialDelay: .milliseconds(50), maximumDelay: .milliseconds(200))
        var random = SeededRandom(seed: 7)
        let attempts = try await Retrier(policy: policy, clock: clock).run(random: &random) { attempt in
            if engine.decide(.open, path: "f", caller: Caller(pid: 100)).effect != .proceed { throw Refused() }
            return attempt.number
        }
        #expect(attempts > 1)
        #expect(clock.sleeps.count == attempts - 1)
        let slept = clock.sleeps.reduce(Duration.zero, +)
        #expect(slept >= .milliseconds(500), "the call succeeded before the rule's window ended")
        #expect(slept - clock.sleeps.last! < .milliseconds(500), "the call still failed after the window ended")
    }

    /// One `SystemClock` is both the engine's clock and the patterns'.
    @Test func oneSystemClockServesBoth() {
        let clock = SystemClock()
        let engineClock: any EngineClock = clock
        let patternClock: any PatternClock = clock
        let engine = FaultEngine(seed: 1, clock: engineClock)
        let deadline = Deadline(after: .seconds(60), clock: patternClock)
        #expect(!engine.isArmed)
        #expect(!deadline.hasPassed)
        #expect(engineClock.nanoseconds() > 0)
    }

    /// The library's `SeededRandom` is the engine's and the statistics' `SplitMix64`.
    @Test func seededRandomIsSplitMix64() {
        var library = SeededRandom(seed: 2024)
        var shared = SplitMix64(seed: 2024)
        #expect((0..<4).map { _ in library.next() } == (0..<4).map { _ in shared.next() })
        #expect(SeededRandom.self == SplitMix64.self)
    }
}
