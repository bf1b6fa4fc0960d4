/// What an executor says it did: the last line of its standard output, one JSON object.
///
/// ```json
/// {"status":"success","produced":["out/report.json"],"attempts":1}
/// {"status":"failure","produced":[],"attempts":3,"error":"open out/report.json: EIO"}
/// ```
///
/// The oracle never trusts a claim alone: it compares it with the ground truth
/// on the backing directory. A claim is evidence of what the executor believes,
/// so a wrong one is what makes a trial `silent`.
public struct Claim: Codable, Sendable, Hashable {
    /// Whether the executor believes the task succeeded.
    public enum Status: String, Codable, Sendable, Hashable {
        case success
        case failure
    }

    /// What the executor believes happened.
    public var status: Status
    /// Paths (relative to the trial's directory) the executor says it produced.
    public var produced: [String]
    /// How many attempts the executor made at the task (1 without retries).
    public var attempts: Int
    /// The error the executor reports, for a failure; nil or empty on success.
    public var error: String?

    /// Creates a claim.
    public init(status: Status, produced: [String] = [], attempts: Int = 1, error: String? = nil) {
        self.status = status
        self.produced = produced
        self.attempts = attempts
        self.error = error
    }

    enum CodingKeys: String, CodingKey { case status, produced, attempts, error }

    /// Decodes leniently where the contract allows it: `produced` and
    /// `attempts` may be left out (an external executor in a few lines of
    /// shell should not have to print them), `status` may not.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        status = try container.decode(Status.self, forKey: .status)
        produced = try container.decodeIfPresent([String].self, forKey: .produced) ?? []
        attempts = try container.decodeIfPresent(Int.self, forKey: .attempts) ?? 1
        error = try container.decodeIfPresent(String.self, forKey: .error)
    }
}
