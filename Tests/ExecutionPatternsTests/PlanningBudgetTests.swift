import ExecutionPatterns
import SystemPackage
import Testing

@Suite("PATTERN-001 planning budget")
struct PlanningBudgetTests {
    @Test("A loop that never converges stops at the iteration limit with what it did")
    func iterations() async {
        let budget = PlanningBudget(BudgetLimits(maxIterations: 5), clock: ManualClock())
        let outcome = await runPlanningLoop(budget: budget, initial: [Int]()) { plan, _ in
            plan.append(plan.count)
            return .proceed(cost: 0)
        }
        guard case .budgetExhausted(.iterations, let plan, let usage) = outcome else { Issue.record("\(outcome)"); return }
        #expect(plan == [0, 1, 2, 3, 4])
        #expect(usage.iterations == 5)
        #expect(usage.fraction(of: .iterations) == 1)
        #expect(usage.fraction(of: .cost) == nil)
    }

    @Test("Wall time and cost budgets stop the loop; usage reports each")
    func timeAndCost() async {
        let clock = ManualClock()
        let timed = PlanningBudget(BudgetLimits(maxIterations: 1000, maxWallTime: .seconds(10)), clock: clock)
        let byTime = await runPlanningLoop(budget: timed, initial: 0) { n, _ in
            clock.advance(by: .seconds(3))
            n += 1
            return .proceed(cost: 0)
        }
        guard case .budgetExhausted(.wallTime, 4, let u) = byTime else { Issue.record("\(byTime)"); return }
        #expect(u.elapsed == .seconds(12))
        #expect(u.fraction(of: .wallTime) == 1.2)

        let costly = PlanningBudget(BudgetLimits(maxIterations: 1000, maxCost: 100), clock: ManualClock())
        let byCost = await runPlanningLoop(budget: costly, initial: 0) { n, _ in
            n += 1
            return .proceed(cost: 30)
        }
        guard case .budgetExhausted(.cost, 4, let cu) = byCost else { Issue.record("\(byCost)"); return }
        #expect(cu.cost == 120)
    }

    @Test("A loop that finishes in budget completes; one that throws fails with its state")
    func completesOrFails() async {
        let done = await runPlanningLoop(budget: PlanningBudget(BudgetLimits(maxIterations: 10), clock: ManualClock()), initial: 0) { n, _ in
            n += 1
            return n == 3 ? .finished(cost: 1) : .proceed(cost: 1)
        }
        guard case .completed(3, let usage) = done else { Issue.record("\(done)"); return }
        #expect(usage.iterations == 3 && usage.cost == 3)
        let failed = await runPlanningLoop(budget: PlanningBudget(BudgetLimits(maxIterations: 10), clock: ManualClock()), initial: 0) { n, _ in
            n += 1
            if n == 2 { throw Errno.ioError }
            return .proceed(cost: 0)
        }
        guard case .failed(let e, 2, _) = failed else { Issue.record("\(failed)"); return }
        #expect(e as? Errno == .ioError)
    }

    @Test("The budget's deadline reaches the I/O inside a step: a read and a retry loop started after it stop at once; the step itself is not interrupted")
    func deadlineIntoIO() async throws {
        let dir = try TemporaryDirectory()
        let p = try dir.write("plan.json", "[1, 2, 3]")
        let clock = ManualClock()
        let budget = PlanningBudget(BudgetLimits(maxIterations: 10, maxWallTime: .seconds(5)), clock: clock)
        let registry = FileHandlerRegistry()
        let outcome = await runPlanningLoop(budget: budget, initial: [String]()) { log, budget in
            log.append(registry.load(p, deadline: budget.deadline).failure.map { "\($0.kind)" } ?? "read")
            // This step overruns the wall time in the middle; the loop cannot stop it, but its I/O sees the deadline.
            clock.advance(by: .seconds(6))
            log.append(registry.load(p, deadline: budget.deadline).failure.map { "\($0.kind)" } ?? "read")
            var random = SeededRandom(seed: 1)
            var attempts = 0
            do throws(RetryError) {
                _ = try await Retrier(clock: clock).run(random: &random, within: budget.deadline) { _ in attempts += 1 }
                log.append("retried")
            } catch {
                log.append("retry: \(error.reason) after \(attempts) attempts")
            }
            log.append("step ended")
            return .proceed(cost: 0)
        }
        guard case .budgetExhausted(.wallTime, let log, let usage) = outcome else { Issue.record("\(outcome)"); return }
        #expect(log == ["read", "deadlineExceeded(bytesRead: 0)", "retry: deadlineExceeded after 0 attempts", "step ended"])
        #expect(usage.iterations == 1 && usage.elapsed == .seconds(6), "the step ran to its end, over the budget: \(usage)")
    }

    @Test("The seed's guard: a third plan update without execution is refused; executing resets it")
    func loopGuard() {
        var g = PlanningLoopGuard()
        #expect(g.recordPlanUpdate() == .allowed(remaining: 1))
        #expect(g.recordPlanUpdate() == .allowed(remaining: 0))
        #expect(g.recordPlanUpdate() == .planningLoop(updates: 3))
        g.recordExecution()
        #expect(g.recordPlanUpdate() == .allowed(remaining: 1))
        #expect(g.totalUpdates == 3 && g.totalExecutions == 1)
        #expect(g.planningRatio == 0.75)
        #expect(g.isPlanningHeavy())
        #expect(!g.isPlanningHeavy(threshold: 0.8))
    }
}
