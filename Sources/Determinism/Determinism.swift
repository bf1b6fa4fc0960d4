// The Determinism module: time and randomness as values a caller passes in.
//
// The fault engine, the pattern library, the statistics and the executor
// contract each need a seeded generator whose stream never changes, and the
// engine and the patterns each need a clock that tests can drive by hand.
// They share this one module, so a file that imports several of them sees one
// `SplitMix64`, one `SystemClock` and one `ManualClock`. It depends on nothing
// but the standard library, so the pattern library still stands alone and the
// executor contract still links no part of faultbench.
