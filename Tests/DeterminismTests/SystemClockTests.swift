import Determinism
import Testing

@Suite struct SystemClockTests {
    @Test func readingsNeverGoBack() {
        let clock = SystemClock()
        let first = clock.nanoseconds()
        let second = clock.now()
        let third = clock.nanoseconds()
        #expect(first > 0 && third >= first)
        #expect(second >= .nanoseconds(Int64(first)) && second <= .nanoseconds(Int64(third)))
    }

    /// Only the lower bound is checked: how much longer a sleep takes
    /// depends on the machine's load.
    @Test func blockingSleepWaitsAtLeastItsDuration() {
        let clock = SystemClock()
        let start = clock.now()
        clock.sleepBlocking(for: .milliseconds(20))
        #expect(clock.now() - start >= .milliseconds(20))
    }

    @Test func zeroSleepStillHonoursCancellation() async {
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await SystemClock().sleep(for: .zero)
        }
        await #expect(throws: CancellationError.self) { try await task.value }
    }
}
