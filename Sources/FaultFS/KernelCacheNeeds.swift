import FaultEngine

/// Which of the kernel's caches a rule acting on these operations could
/// observe. Each cache answers some calls itself, so a rule acting on one of
/// those calls must see every one: the cache is off for such a file and on
/// for every other file, targeted or not, since no rule can tell.
extension OperationSet {
    /// Cached names answer lookups.
    var observesNames: Bool { contains(.lookup) }

    /// Cached attributes answer getattr (stat). A write still drops the
    /// cached size and times, so no stat shows a size the backing file
    /// does not have.
    var observesAttributes: Bool { contains(.getattr) }

    /// The page cache answers reads (with readahead's offsets and counts,
    /// not the program's), keeps the bytes of a write whose reply said
    /// they were stored though a torn or lost write stored fewer, and
    /// `noflush` drops flushes. fsync, truncate, open and release reach the
    /// daemon either way, and a crash or fsync-fail drops the pages it
    /// undoes.
    var observesData: Bool { !intersection([.read, .write, .flush]).isEmpty }
}
