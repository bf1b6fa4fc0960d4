import Determinism
import Testing

/// The generator's stream is part of faultbench's interface: scenario bytes,
/// rule streams, trial orders and bootstrap intervals are all drawn from it,
/// so these values were taken from the copies this module replaced (the
/// engine's, the statistics', the pattern library's `SeededRandom` and the
/// executor contract's inline one all agreed) and must never change.
@Suite struct SplitMix64Tests {
    /// Also the published reference: seed 0 starts 0xe220a8397b1dcdaf.
    @Test func seedZeroMatchesTheReference() {
        var generator = SplitMix64(seed: 0)
        #expect((0..<4).map { _ in generator.next() } == [
            0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F, 0xF88B_B8A8_724C_81EC,
        ])
    }

    /// Seed 1234567 starts with the published 6457827717110365317, 3203168211198807973.
    @Test func otherSeedsAreUnchanged() {
        var middle = SplitMix64(seed: 1_234_567)
        #expect((0..<4).map { _ in middle.next() } == [
            0x599E_D017_FB08_FC85, 0x2C73_F084_5854_0FA5, 0x883E_BCE5_A3F2_7C77, 0x3FBE_F740_E917_7B3F,
        ])
        var top = SplitMix64(seed: .max)
        #expect((0..<3).map { _ in top.next() } == [0xE4D9_7177_1B65_2C20, 0xE99F_F867_DBF6_82C9, 0x382F_F84C_B272_81E9])
    }

    /// The trial order and the bootstrap draw indices, so their sequence is pinned too.
    @Test func indicesAreUnchanged() {
        var generator = SplitMix64(seed: 0)
        let bounds = [3, 7, 1000, 1 << 40]
        #expect((0..<8).map { generator.index(below: bounds[$0 % 4]) } == [2, 3, 26, 1_067_496_024_178, 0, 2, 173, 848_324_410_057])
    }

    /// An index never reaches its bound, and every index turns up.
    @Test func indexIsInRange() {
        var generator = SplitMix64(seed: 99)
        var seen = Set<Int>()
        for _ in 0..<1000 {
            let i = generator.index(below: 7)
            #expect((0..<7).contains(i))
            seen.insert(i)
        }
        #expect(seen.count == 7)
    }

    /// Copies go on from where the original was, so a stream can be forked.
    @Test func aCopyContinuesTheSameStream() {
        var original = SplitMix64(seed: 42)
        _ = original.next()
        var copy = original
        #expect(copy.next() == original.next())
        #expect(copy.state == original.state)
    }
}
