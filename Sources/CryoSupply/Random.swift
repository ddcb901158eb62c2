import Foundation

/// SplitMix64: seeds the generators below, and derives one independent seed per replication,
/// so that a run's results depend only on its seed, never on threads or machines.
public struct SplitMix64: Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The seed of replication `index` of a run seeded `seed`.
    public static func replicationSeed(_ seed: UInt64, _ index: Int) -> UInt64 {
        var g = SplitMix64(seed: seed ^ (UInt64(index) &* 0xD1B5_4A32_D192_ED03))
        _ = g.next()
        return g.next()
    }
}

/// xoshiro256** (Blackman and Vigna), with the samplers the model draws from.
public struct SupplyRandom: Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var sm = SplitMix64(seed: seed)
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
    }

    @inline(__always) private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// Uniform in [0, 1), 53 bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in (0, 1], for logarithms.
    mutating func uniformPositive() -> Double { 1.0 - uniform() }

    public mutating func bernoulli(_ p: Double) -> Bool { p >= 1 ? true : (p <= 0 ? false : uniform() < p) }

    public mutating func exponential(rate: Double) -> Double { -Foundation.log(uniformPositive()) / rate }

    public mutating func normal() -> Double {
        // Box–Muller; one of the pair is dropped so the stream stays simple to reason about.
        let u1 = uniformPositive(), u2 = uniform()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }

    /// Gamma(shape, scale) by Marsaglia and Tsang (2000), with the boost for shape < 1.
    public mutating func gamma(shape: Double, scale: Double) -> Double {
        precondition(shape > 0 && scale > 0)
        if shape < 1 {
            return gamma(shape: shape + 1, scale: scale) * Foundation.pow(uniformPositive(), 1 / shape)
        }
        let d = shape - 1.0 / 3.0, c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double, v: Double
            repeat { x = normal(); v = 1 + c * x } while v <= 0
            v = v * v * v
            let u = uniformPositive()
            if u < 1 - 0.0331 * x * x * x * x || Foundation.log(u) < 0.5 * x * x + d * (1 - v + Foundation.log(v)) {
                return d * v * scale
            }
        }
    }

    /// Poisson(mean): Knuth's product method for small means, PTRS (Hörmann 1993) above 10.
    public mutating func poisson(mean: Double) -> Int {
        if mean <= 0 { return 0 }
        if mean < 10 {
            let limit = Foundation.exp(-mean)
            var k = 0, p = uniform()
            while p > limit { k += 1; p *= uniform() }
            return k
        }
        let slam = mean.squareRoot(), loglam = Foundation.log(mean)
        let b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b
        let invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2)
        while true {
            let u = uniform() - 0.5, v = uniform()
            let us = 0.5 - abs(u)
            let k = Foundation.floor((2 * a / us + b) * u + mean + 0.43)
            if us >= 0.07 && v <= vr { return Int(k) }
            if k < 0 || (us < 0.013 && v > us) { continue }
            if Foundation.log(v) + Foundation.log(invalpha) - Foundation.log(a / (us * us) + b)
                <= -mean + k * loglam - Foundation.lgamma(k + 1) { return Int(k) }
        }
    }
}
