import Determinism
import Testing

/// One `ManualClock` serves the fault engine (nanosecond reads) and the
/// pattern library (`Duration` reads and sleeps); both readings must agree.
@Suite struct ManualClockTests {
    @Test func startsWhereToldAndReadsInBothUnits() {
        let clock = ManualClock(start: .seconds(1) + .nanoseconds(5))
        #expect(clock.now() == .seconds(1) + .nanoseconds(5))
        #expect(clock.nanoseconds() == 1_000_000_005)
        #expect(ManualClock().now() == .seconds(1000))
    }

    /// The engine's use: time moves only when the test moves it.
    @Test func advanceMovesBothReadings() {
        let clock = ManualClock(start: .zero)
        let reader: any MonotonicClock = clock
        #expect(reader.nanoseconds() == 0)
        clock.advance(by: .milliseconds(500))
        #expect(reader.nanoseconds() == 500_000_000)
        clock.advance(by: .nanoseconds(1_234_567))
        #expect(reader.nanoseconds() == 501_234_567)
        #expect(reader.now() == .nanoseconds(501_234_567))
        #expect(clock.sleeps.isEmpty, "advancing is not sleeping")
    }

    /// The patterns' use: a sleep returns at once, moves the clock by the
    /// time asked for and is recorded.
    @Test func sleepAdvancesAndIsRecorded() async throws {
        let clock = ManualClock()
        let sleeper: any SleepingClock = clock
        try await sleeper.sleep(for: .seconds(3))
        sleeper.sleepBlocking(for: .milliseconds(250))
        #expect(clock.now() == .seconds(1003) + .milliseconds(250))
        #expect(clock.sleeps == [.seconds(3), .milliseconds(250)])
    }

    /// A negative sleep is recorded as asked, but the clock never goes back.
    @Test func negativeSleepDoesNotGoBack() {
        let clock = ManualClock()
        clock.sleepBlocking(for: .seconds(-2))
        #expect(clock.now() == .seconds(1000))
        #expect(clock.sleeps == [.seconds(-2)])
    }

    @Test func cancelledSleepThrowsAndDoesNotMove() async {
        let clock = ManualClock()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await clock.sleep(for: .seconds(1))
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(clock.now() == .seconds(1000))
        #expect(clock.sleeps.isEmpty)
    }

    /// A reading before the origin is 0 nanoseconds, not a trap.
    @Test func readingBeforeTheOriginIsZeroNanoseconds() {
        #expect(ManualClock(start: .seconds(-1)).nanoseconds() == 0)
    }
}
