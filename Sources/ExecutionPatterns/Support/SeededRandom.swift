import Determinism

/// SplitMix64: a small, fast generator whose sequence depends only on its seed.
///
/// Used for the retry jitter in tests (and by anyone who wants a reproducible
/// schedule); production code can pass `SystemRandomNumberGenerator`. The
/// name is the library's; the generator is the one faultbench seeds
/// everything with, so the same seed gives the same stream everywhere.
public typealias SeededRandom = SplitMix64
