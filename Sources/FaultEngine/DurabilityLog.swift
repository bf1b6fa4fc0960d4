/// Pure bookkeeping of what a crash would lose: an undo log of old bytes and sizes since each file's last fsync.
///
/// FaultFS writes through to the backing file and feeds this log; the log
/// never touches a file. Before a write it calls `willWrite`, saves the old
/// contents of the ranges returned (only bytes not already saved since the
/// last sync: the first write wins, so the saved bytes are the synced ones) and
/// hands them back with `recordSaved`. `didSync` forgets a file's records.
/// On a power loss `powerLossPlan(for:)` lists the steps that bring the backing directory
/// back to its durable state, already in the order to apply them (newest
/// change first). A step may name a file that no longer exists (its
/// creation was undone first, or it was unlinked without a stash): FaultFS
/// skips such a step.
///
/// `File` is FaultFS's file identity (the backing inode number is a good one,
/// since it survives renames); metadata changes are kept by path.
/// The type is a value: FaultFS keeps it behind its own `Mutex`.
public struct DurabilityLog<File: Hashable & Sendable>: Sendable {
    struct FileRecord: Sendable {
        let order: UInt64
        var syncedSize: Int64
        var currentSize: Int64
        var promised = ByteRanges()
        var saved: [(offset: Int64, bytes: [UInt8])] = []
        var dirty = ByteRanges()
        var truncated = false
    }

    struct MetadataRecord: Sendable {
        let order: UInt64
        let change: MetadataChange
        var pendingParents: Set<String>
    }

    private var files: [File: FileRecord] = [:]
    private var metadata: [MetadataRecord] = []
    private var nextOrder: UInt64 = 0

    /// The block size of the reordering model: with `keepProbability` each unsynced block survives or not as a whole.
    public let blockSize: Int64

    /// Creates an empty log.
    public init(blockSize: Int64 = 4096) {
        precondition(blockSize > 0, "block size must be positive")
        self.blockSize = blockSize
    }

    private mutating func record(_ file: File, size: Int64) -> FileRecord {
        if let existing = files[file] { return existing }
        nextOrder += 1
        return FileRecord(order: nextOrder, syncedSize: size, currentSize: size)
    }

    /// Notes a write about to happen and returns the ranges whose old bytes FaultFS must read and pass to `recordSaved`.
    /// - Parameters:
    ///   - oldSize: The file's size before this write; only the first call since a sync uses it.
    /// - Returns: Ranges inside the synced size not saved since the last sync; often empty.
    public mutating func willWrite(file: File, offset: Int64, length: Int, oldSize: Int64) -> [Range<Int64>] {
        var entry = record(file, size: oldSize)
        let end = offset + Int64(length)
        let toSave = offset < entry.syncedSize ? entry.promised.gaps(in: offset..<min(end, entry.syncedSize)) : []
        for range in toSave { entry.promised.insert(range) }
        entry.dirty.insert(offset..<end)
        entry.currentSize = max(entry.currentSize, end)
        files[file] = entry
        return toSave
    }

    /// Hands over the old bytes of a range `willWrite` or `willTruncate` asked for.
    public mutating func recordSaved(file: File, offset: Int64, oldBytes: [UInt8]) {
        guard !oldBytes.isEmpty else { return }
        files[file]?.saved.append((offset, oldBytes))
    }

    /// Notes a truncate about to happen and returns the ranges whose old bytes FaultFS must save first.
    public mutating func willTruncate(file: File, newSize: Int64, oldSize: Int64) -> [Range<Int64>] {
        var entry = record(file, size: oldSize)
        var toSave: [Range<Int64>] = []
        if newSize < entry.currentSize {
            toSave = newSize < entry.syncedSize ? entry.promised.gaps(in: newSize..<min(entry.currentSize, entry.syncedSize)) : []
            for range in toSave { entry.promised.insert(range) }
            entry.truncated = true
        } else {
            entry.dirty.insert(entry.currentSize..<newSize)
        }
        entry.currentSize = newSize
        files[file] = entry
        return toSave
    }

    /// Forgets a file's records: everything written so far is durable.
    public mutating func didSync(file: File) {
        files[file] = nil
    }

    /// Forgets a file's data records because the file is gone for good (unlinked without a stash, last link closed).
    public mutating func didDelete(file: File) {
        files[file] = nil
    }

    /// Whether the file has changes a crash would undo.
    public func hasUnsyncedData(file: File) -> Bool { files[file] != nil }

    /// Returns the steps that undo the file's unsynced data and forgets it, for fsync-fail (Linux drops the dirty pages).
    public mutating func dropUnsynced(file: File) -> [UndoAction<File>] {
        guard let entry = files.removeValue(forKey: file) else { return [] }
        var stream = RandomStream(seed: 0)
        return undo(file, entry, keepProbability: 0, &stream)
    }

    // MARK: Metadata

    /// Notes a change to a directory; it is undone by a metadata power loss until its parents are synced.
    public mutating func didChange(_ change: MetadataChange) {
        nextOrder += 1
        metadata.append(MetadataRecord(order: nextOrder, change: change, pendingParents: change.parents))
    }

    /// Notes that a file was created at `path`.
    public mutating func didCreate(path: String) { didChange(.created(path: MetadataChange.normalize(path))) }

    /// Notes that `from` was renamed to `to`.
    public mutating func didRename(from: String, to: String, replacedStash: String? = nil) {
        didChange(.renamed(from: MetadataChange.normalize(from), to: MetadataChange.normalize(to), replacedStash: replacedStash))
    }

    /// Notes that `path` was unlinked, and where FaultFS stashed it (if it did).
    public mutating func didUnlink(path: String, stash: String? = nil) {
        didChange(.unlinked(path: MetadataChange.normalize(path), stash: stash))
    }

    /// Notes that a directory was created at `path`.
    public mutating func didMakeDirectory(path: String) { didChange(.madeDirectory(path: MetadataChange.normalize(path))) }

    /// Notes that the empty directory `path` was removed.
    public mutating func didRemoveDirectory(path: String) { didChange(.removedDirectory(path: MetadataChange.normalize(path))) }

    /// Notes that a directory was fsynced: changes whose parents are now all synced become durable.
    /// - Returns: Stash paths no longer needed, which FaultFS may delete.
    @discardableResult
    public mutating func syncDirectory(_ path: String) -> [String] {
        let directory = MetadataChange.normalize(path)
        var released: [String] = []
        metadata = metadata.compactMap { record in
            var record = record
            record.pendingParents.remove(directory)
            if record.pendingParents.isEmpty {
                if let stash = record.change.stash { released.append(stash) }
                return nil
            }
            return record
        }
        return released
    }

    /// The metadata changes not yet durable, oldest first.
    public var pendingMetadata: [MetadataChange] { metadata.map(\.change) }

    // MARK: Power loss

    /// The steps that bring the backing directory to the state a power cut would leave, in the order to apply them.
    ///
    /// With `plan.keepProbability` above 0 each unsynced block of a file
    /// survives with that probability, drawn from `plan.seed` (files in the
    /// order they were first changed, blocks in offset order); a file that was
    /// truncated since its sync is undone whole. With `plan.metadata` directory
    /// changes since the parents' last fsync are undone too.
    public func powerLossPlan(for plan: PowerLossPlan) -> [UndoAction<File>] {
        var stream = RandomStream(seed: plan.seed)
        var steps: [(order: UInt64, actions: [UndoAction<File>])] = []
        for (file, entry) in files.sorted(by: { $0.value.order < $1.value.order }) {
            steps.append((entry.order, undo(file, entry, keepProbability: plan.keepProbability, &stream)))
        }
        if plan.metadata {
            for record in metadata { steps.append((record.order, record.change.undo())) }
        }
        return steps.sorted { $0.order > $1.order }.flatMap(\.actions)
    }

    /// The undo steps for a power loss with these parameters; see `powerLossPlan(for:)`.
    public func powerLossPlan(seed: UInt64, keepProbability: Double = 0, metadata: Bool = false) -> [UndoAction<File>] {
        powerLossPlan(for: PowerLossPlan(seed: seed, metadata: metadata, keepProbability: keepProbability))
    }

    /// Forgets everything, after FaultFS has applied a power loss.
    public mutating func reset() {
        files.removeAll()
        metadata.removeAll()
    }

    private func undo(_ file: File, _ entry: FileRecord, keepProbability: Double, _ stream: inout RandomStream) -> [UndoAction<File>] {
        guard keepProbability > 0, !entry.truncated else {
            return entry.saved.map { .restore(file: file, offset: $0.offset, bytes: $0.bytes) }
                + [.setSize(file: file, size: entry.syncedSize)]
        }
        var lost = ByteRanges()
        var finalSize = entry.syncedSize
        var lastBlock: Int64 = -1
        for range in entry.dirty.ranges {
            var block = max(range.lowerBound / blockSize, lastBlock + 1)
            while block * blockSize < range.upperBound {
                let blockRange = (block * blockSize)..<((block + 1) * blockSize)
                if stream.nextUnit() < keepProbability {
                    finalSize = max(finalSize, min(blockRange.upperBound, entry.currentSize))
                } else {
                    lost.insert(blockRange)
                }
                lastBlock = block
                block += 1
            }
        }
        var actions: [UndoAction<File>] = []
        for saved in entry.saved {
            let savedRange = saved.offset..<(saved.offset + Int64(saved.bytes.count))
            for piece in lost.ranges {
                let overlap = savedRange.clamped(to: piece)
                guard !overlap.isEmpty else { continue }
                let start = Int(overlap.lowerBound - saved.offset)
                let end = Int(overlap.upperBound - saved.offset)
                actions.append(.restore(file: file, offset: overlap.lowerBound, bytes: Array(saved.bytes[start..<end])))
            }
        }
        for piece in lost.ranges {
            let hole = piece.clamped(to: entry.syncedSize..<max(entry.syncedSize, finalSize))
            if !hole.isEmpty { actions.append(.zero(file: file, offset: hole.lowerBound, length: Int64(hole.count))) }
        }
        actions.append(.setSize(file: file, size: finalSize))
        return actions
    }
}
