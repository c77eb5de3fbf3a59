/// Eight floats at a time, for the element-wise loops of the native kinds: over pointers that may alias, the
/// compiler keeps a plain loop scalar, and a per-value condition (a fused ReLU mask) makes it branch.
typealias Lanes = SIMD8<Float>

extension Lanes {
    /// max(value, 0) in each lane, NaN passing through as the kernels' ReLU lets it.
    var relu: Lanes { replacing(with: 0, where: self .< 0) }
}

extension UnsafePointer where Pointee == Float {
    /// Values `i ..< i + 8`.
    func lanes(_ i: Int) -> Lanes { UnsafeRawPointer(self + i).loadUnaligned(as: Lanes.self) }
}

extension UnsafeMutablePointer where Pointee == Float {
    /// Stores `values` at `i ..< i + 8`.
    func store(_ values: Lanes, at i: Int) { UnsafeMutableRawPointer(self + i).storeBytes(of: values, as: Lanes.self) }
}

/// Calls `whole` for each start of eight values in `range` and `tail` for each value after the last eight.
func forEachLanes(in range: Range<Int>, whole: (Int) -> Void, tail: (Int) -> Void) {
    let end = range.upperBound - range.count % Lanes.scalarCount
    for i in stride(from: range.lowerBound, to: end, by: Lanes.scalarCount) { whole(i) }
    for i in end..<range.upperBound { tail(i) }
}
