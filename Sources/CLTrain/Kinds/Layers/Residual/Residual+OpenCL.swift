import CLKit

extension Residual {
    public func openCLOperation(_ stage: Stage, library: KernelLibrary, rows: Int) throws -> OpenCLOperation {
        try OpenCLResidual(stage: stage, layer: self, library: library, rows: rows)
    }
}

/// The body and the shortcut each run as a plan of their own (`OpenCLStages`), then `residual_forward` adds them;
/// backward, each from the block's output gradient, then `residual_backward` adds their input gradients.
private final class OpenCLResidual: OpenCLOperation {
    let stage: Stage, library: KernelLibrary, body: OpenCLStages, shortcut: OpenCLStages?
    /// The input gradients through the body and through the shortcut.
    let bodyDx: Buffer<Float>?, shortcutDx: Buffer<Float>?
    /// The block's tensors cut into the body's and the shortcut's.
    private var parameterViews = StageViews(), bufferViews = StageViews(), gradientViews = StageViews()
    private let tensorCounts: [Int], bufferCounts: [Int]

    init(stage: Stage, layer: Residual, library: KernelLibrary, rows: Int) throws {
        let (body, shortcut) = layer.plans(stage), batch = rows
        (self.stage, self.library) = (stage, library)
        self.body = try OpenCLStages(body, library: library, batch: batch, rows: rows)
        self.shortcut = try shortcut.map { try OpenCLStages($0, library: library, batch: batch, rows: rows) }
        let count = batch * stage.input.count, context = library.context
        bodyDx = stage.needsInputGradient ? try Buffer(context: context, count: count) : nil
        shortcutDx = stage.needsInputGradient && shortcut != nil ? try Buffer(context: context, count: count) : nil
        tensorCounts = [body.tensors.count, shortcut?.tensors.count ?? 0]
        bufferCounts = [body.buffers.count, shortcut?.buffers.count ?? 0]
    }

    func forward(x: Buffer<Float>, y: Buffer<Float>, rows: Int, parameters: [Buffer<Float>], buffers: [Buffer<Float>],
                 pass: Pass) throws {
        let (parameters, buffers) = (parameterViews.split(parameters, tensorCounts), bufferViews.split(buffers, bufferCounts))
        let a = try body.forward(x, rows: rows, parameters: parameters[0], buffers: buffers[0], pass: pass)
        let b = try shortcut?.forward(x, rows: rows, parameters: parameters[1], buffers: buffers[1], pass: pass) ?? x
        library.annotate("\(rows)×\(stage.output) block's addition\(stage.relu ? "+relu" : "")", bytes: Double(12 * rows * stage.output.count))
        try library.residualForward(count: rows * stage.output.count, a: a, b: b, relu: stage.relu, y: y)
    }

    func backward(x: Buffer<Float>, y: Buffer<Float>, dy: Buffer<Float>, dx: Buffer<Float>?, rows: Int,
                  parameters: [Buffer<Float>], gradients: [Buffer<Float>], pass: Pass) throws {
        let (parameters, gradients) = (parameterViews.split(parameters, tensorCounts), gradientViews.split(gradients, tensorCounts))
        try body.backward(input: x, dy: dy, dx: dx == nil ? nil : bodyDx, rows: rows, parameters: parameters[0],
                          gradients: gradients[0], pass: pass)
        try shortcut?.backward(input: x, dy: dy, dx: dx == nil ? nil : shortcutDx, rows: rows, parameters: parameters[1],
                               gradients: gradients[1], pass: pass)
        if let dx, let bodyDx {
            library.annotate("\(rows)×\(stage.input) block's input gradient", bytes: Double(12 * rows * stage.input.count))
            try library.residualBackward(count: rows * stage.input.count, a: bodyDx, b: shortcutDx ?? dy,
                                         reluOutput: stage.maskInputGradient ? x : nil, dx: dx)
        }
    }
}
