#if canImport(Glibc)
import Glibc
#endif
import FaultEngine

/// What one call does once the engine has answered.
///
/// The engine's `Effect` says what a rule did; this says what that means
/// for this operation: an fsync-fail on an fsync drops the file's unsynced
/// data, a torn write stores some bytes and claims all of them, a data
/// effect on a call that moves no data changes nothing. It is decided here
/// and nowhere else, from the effect and the call alone, so a test can
/// drive every effect on every operation without a mount. The operations
/// only carry out the answer.
enum CallAction: Sendable, Hashable {
    /// Do the call as asked.
    case perform
    /// Do nothing; answer with this errno.
    case refuse(Int32)
    /// Do nothing; crash as the plan says (every unsynced change undone,
    /// its victims killed), then answer EIO.
    case crash(PowerLossPlan)
    /// Do not sync; drop the file's unsynced data, as Linux drops dirty
    /// pages it could not write back, then answer EIO.
    case dropUnsynced
    /// Store only the first `stored` bytes; answer with the full count the
    /// caller asked for if `claimsAll`, else with the count stored; then
    /// kill `victim`, who must not see the answer.
    case write(stored: Int, claimsAll: Bool, victim: Int32?)
    /// Read at most `count` bytes, then damage them as `corruption` says.
    case read(count: Int, corruption: CorruptionPlan?)

    /// The action for `effect` on a call of `op` that moves `length` bytes
    /// (a read's or write's size; 0 for other calls).
    init(_ effect: Effect, on op: FSOperation, length: Int = 0) {
        switch effect {
        case .proceed:
            self = .perform
        case .fail(let code):
            self = .refuse(code)
        case .powerLoss(let plan):
            self = .crash(plan)
        case .fsyncFail:
            // Only a file has unsynced data to lose; on a directory's fsync,
            // or any other call, the failure is all there is.
            self = op == .fsync ? .dropUnsynced : .refuse(EIO)
        case .short(let count):
            switch op {
            case .write: self = .write(stored: min(count, length), claimsAll: false, victim: nil)
            case .read: self = .read(count: min(count, length), corruption: nil)
            default: self = .perform
            }
        case .torn(let stored):
            self = op == .write ? .write(stored: min(stored, length), claimsAll: true, victim: nil) : .perform
        case .lost:
            self = op == .write ? .write(stored: 0, claimsAll: true, victim: nil) : .perform
        case .killAfter(let bytes, let pid):
            self = op == .write ? .write(stored: min(bytes, length), claimsAll: false, victim: pid) : .perform
        case .corrupt(let plan):
            self = op == .read ? .read(count: length, corruption: plan) : .perform
        }
    }

    /// Whether the action answers the call in place of the operation
    /// (`refuse`, `crash`, `dropUnsynced`); the others are carried out by
    /// the operation itself.
    var replacesCall: Bool {
        switch self {
        case .refuse, .crash, .dropUnsynced: true
        case .perform, .write, .read: false
        }
    }
}
