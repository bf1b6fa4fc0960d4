import Results

extension Figures {
    /// The modelled expected time to a correct state of one arm.
    ///
    /// The first run takes the measured median time t. A run that does not
    /// end in `success` fails with probability q and is rerun, up to
    /// `policy.max` times, each rerun costing the recovery cost r (a person
    /// noticing and restarting) plus t. So
    ///
    ///     E[T] = t + Σ_{k=1…max} q^k · (r + t),   P(still not correct) = q^(max+1).
    ///
    /// q is 1 − the success rate, not the error rate: a `detected` trial is
    /// harmless but has not done the job either, so it too must be rerun to
    /// reach a correct state. Reruns are modelled as independent; a fault
    /// that recurs on every rerun would make them fail more often than this.
    public static func modelledTime(medianSeconds t: Double, failureRate q: Double,
                                    policy: RerunPolicy) -> ModelledTime {
        precondition((0...1).contains(q), "modelledTime: the failure rate must be in [0, 1]")
        var expected = t
        var chance = 1.0
        for _ in 0..<Swift.max(0, policy.max) {
            chance *= q
            expected += chance * (policy.recoveryCost + t)
        }
        return ModelledTime(measuredMedian: t, failureRate: q, maxReruns: policy.max,
                            recoveryCost: policy.recoveryCost, expectedSeconds: expected,
                            unresolvedProbability: chance * q)
    }
}
