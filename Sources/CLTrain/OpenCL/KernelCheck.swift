import CLKit
import Foundation

/// One kernel run at one size, compared element by element with its CPU twin.
public struct KernelCheckResult: Sendable, Encodable {
    public let kernel: String
    /// The kernel file it came from where there are several (the matmul variants); empty otherwise.
    public let variant: String
    public let sizes: String
    public let maxAbsoluteError: Double
    public let maxRelativeError: Double
    /// Empty when the check passed; else the canary damage or the first mismatches, index and both values.
    public let failures: [String]
    public let seconds: Double

    public var passed: Bool { failures.isEmpty }
}

/// Device output buffers for a check: poisoned with NaN before the kernel runs, so an element the kernel
/// forgets to write cannot pass, and followed by a canary region that an out-of-bounds write damages.
struct GuardedOutput<Element: GuardedElement> {
    static var canaryCount: Int { 16 }
    let buffer: Buffer<Element>
    let count: Int

    init(context: Context, count: Int) throws {
        try self.init(context: context, initial: [Element](repeating: .poison, count: count))
    }

    /// A buffer the kernel reads and updates in place (running statistics): `initial`, then the canary.
    init(context: Context, initial: [Element]) throws {
        count = initial.count
        buffer = try Buffer(context: context, values: initial + [Element](repeating: .canary, count: Self.canaryCount))
    }

    /// Reads the output back; returns the elements and a description of canary damage, if any.
    func read() throws -> (values: [Element], damage: String?) {
        let all = try buffer.read()
        let canary = all[count...]
        if let bad = canary.firstIndex(where: { !$0.isCanary }) {
            return (Array(all[..<count]), "wrote past the end: canary element \(bad - count) after \(count) outputs overwritten")
        }
        return (Array(all[..<count]), nil)
    }
}

/// Element types a check can guard: poison marks "not written", canary marks "must stay untouched".
protocol GuardedElement: Equatable {
    static var poison: Self { get }
    static var canary: Self { get }
    var isCanary: Bool { get }
    var asDouble: Double { get }
}

extension Float: GuardedElement {
    static var poison: Float { .nan }
    // A NaN with a payload of its own, compared by bits so no arithmetic result can match it by chance.
    static var canary: Float { Float(bitPattern: 0x7FC0_CA7A) }
    var isCanary: Bool { bitPattern == Float.canary.bitPattern }
    var asDouble: Double { Double(self) }
}

extension Int32: GuardedElement {
    static var poison: Int32 { -1_000_001 }
    static var canary: Int32 { -1_234_567 }
    var isCanary: Bool { self == Int32.canary }
    var asDouble: Double { Double(self) }
}

/// Compares `got` with `expected`: an element passes when |got − expected| ≤ absolute + relative·|expected|.
/// The absolute term covers results near zero, where relative error means nothing; the relative term
/// covers rounding that grows with the magnitude. Each check states why its pair is what it is.
func compare<Element: GuardedElement>(
    kernel: String, variant: String = "", sizes: String, output: GuardedOutput<Element>, expected: [Element],
    absolute: Double, relative: Double, seconds: Double
) throws -> KernelCheckResult {
    let (got, damage) = try output.read()
    var failures: [String] = damage.map { [$0] } ?? []
    var maxAbsolute = 0.0, maxRelative = 0.0
    var mismatches = 0
    for i in expected.indices {
        let g = got[i].asDouble, e = expected[i].asDouble
        let error = abs(g - e)
        let bad = !(error <= absolute + relative * abs(e))  // also catches NaN: a poisoned, unwritten element
        if error.isFinite {
            maxAbsolute = max(maxAbsolute, error)
            if abs(e) > absolute { maxRelative = max(maxRelative, error / abs(e)) }
        } else {
            maxAbsolute = .infinity
        }
        if bad {
            mismatches += 1
            if mismatches <= 3 { failures.append("[\(i)] got \(got[i]), expected \(expected[i])") }
        }
    }
    if mismatches > 3 { failures.append("… \(mismatches) mismatches in all") }
    return KernelCheckResult(kernel: kernel, variant: variant, sizes: sizes, maxAbsoluteError: maxAbsolute,
                             maxRelativeError: maxRelative, failures: failures, seconds: seconds)
}
