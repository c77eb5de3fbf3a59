import CLKit

/// What each backend runs for one stage. A layer kind supplies one of each (`Layer.referenceOperation`, …);
/// a backend walks `Model.stages`, hands each operation its activations, and never looks inside.
///
/// Shared contract: `forward` writes the stage's output for `rows` samples of `x`, with the absorbed ReLU
/// applied where `Stage.relu`; it reads the layer's buffers (`Stage.buffers`, e.g. running statistics) and, in a
/// training pass, may update them. `backward` is given the forward's input `x`, output `y`, and the loss's gradient
/// `dy` with respect to `y` (already through the absorbed ReLU: the next stage masked it); it writes the
/// gradients of the layer's parameters and, where asked, the gradient `dx` with respect to `x`, zeroed where
/// `Stage.maskInputGradient` and `x` is not positive.

/// The specification, on plain arrays (see `Reference`).
public protocol ReferenceOperation {
    func forward(_ x: [Float], rows: Int, parameters: ArraySlice<Float>, buffers: inout ArraySlice<Float>, pass: Pass) -> [Float]
    /// Returns `dx` (nil unless `Stage.needsInputGradient`) and the parameters' gradients in the layer's order.
    func backward(x: [Float], y: [Float], dy: [Float], rows: Int, parameters: ArraySlice<Float>, pass: Pass)
        -> (dx: [Float]?, gradients: [Float])
}

/// The `--cpu` path, on buffers the backend allocated up front. `parameters`, `buffers` and `gradients` point at
/// the layer's own slice of the flat vectors.
public protocol NativeOperation: AnyObject {
    func forward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, rows: Int,
                 parameters: UnsafePointer<Float>, buffers: UnsafeMutablePointer<Float>, pass: Pass)
    func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                  dx: UnsafeMutablePointer<Float>?, rows: Int, parameters: UnsafePointer<Float>,
                  gradients: UnsafeMutablePointer<Float>, pass: Pass)
    /// The layer's parameters (of `count`, offsets into its own) that worker `part` of `workers` updates: those
    /// that worker's passes compute with, where the operation splits them, so that they stay in one core's cache.
    func updateShare(part: Int, of workers: Int, count: Int) -> [Range<Int>]
}

extension NativeOperation {
    /// By default the parameters are cut into even runs of whole cache lines.
    public func updateShare(part: Int, of workers: Int, count: Int) -> [Range<Int>] {
        let lines = (count + 15) / 16, run = share(lines, part: part, of: workers)
        return run.isEmpty ? [] : [(run.lowerBound * 16)..<min(run.upperBound * 16, count)]
    }
}

/// The OpenCL path: launches on the backend's buffers, queued without waiting. `parameters`, `buffers` and
/// `gradients` are views of the layer's tensors in the flat buffers, in `Stage.tensors` (`Stage.buffers`) order.
public protocol OpenCLOperation: AnyObject {
    func forward(x: Buffer<Float>, y: Buffer<Float>, rows: Int, parameters: [Buffer<Float>], buffers: [Buffer<Float>],
                 pass: Pass) throws
    func backward(x: Buffer<Float>, y: Buffer<Float>, dy: Buffer<Float>, dx: Buffer<Float>?, rows: Int,
                  parameters: [Buffer<Float>], gradients: [Buffer<Float>], pass: Pass) throws
}
