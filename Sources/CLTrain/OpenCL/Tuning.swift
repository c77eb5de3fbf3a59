/// One matmul launch as its launcher takes it: the kernel and the layer's (rows, inputs, outputs), rows being
/// the batch (or a convolution's patches). A tuned configuration is chosen per shape.
public struct MatmulShape: Hashable, Sendable, Codable, CustomStringConvertible {
    public let kernel: String
    public let rows: Int
    public let inputs: Int
    public let outputs: Int
    /// Whether a matmul_backward launch computes the input gradient beside the weight's: a layer on the model's
    /// input has none to compute, and its launch is a different amount of work.
    public let inputGradient: Bool

    public init(kernel: String, rows: Int, inputs: Int, outputs: Int, inputGradient: Bool = false) {
        (self.kernel, self.rows, self.inputs, self.outputs) = (kernel, rows, inputs, outputs)
        self.inputGradient = inputGradient
    }

    public var description: String { "\(kernel) \(rows)×\(inputs)→\(outputs)\(inputGradient ? " +dX" : "")" }

    private enum CodingKeys: String, CodingKey { case kernel, rows, inputs, outputs, inputGradient }

    /// `inputGradient` may be absent: it is false for every kernel but matmul_backward.
    public init(from decoder: Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        self.init(kernel: try values.decode(String.self, forKey: .kernel), rows: try values.decode(Int.self, forKey: .rows),
                  inputs: try values.decode(Int.self, forKey: .inputs), outputs: try values.decode(Int.self, forKey: .outputs),
                  inputGradient: try values.decodeIfPresent(Bool.self, forKey: .inputGradient) ?? false)
    }

    /// Floating-point operations of the launch: one product of rows × inputs × outputs multiply-adds, two with dX.
    var flops: Double { Double(2 * rows * inputs * outputs * (inputGradient ? 2 : 1)) }
}

/// A matmul configuration and, for the vector family, its work-group (across × down; nil: the launcher's own,
/// see `KernelLibrary.rowsOfGroups`). The tiled family's group is fixed by its tile.
public struct MatmulChoice: Hashable, Sendable, Codable, CustomStringConvertible {
    public let matmul: KernelConfiguration.Matmul
    public let group: [Int]?

    public init(_ matmul: KernelConfiguration.Matmul, group: [Int]? = nil) {
        self.matmul = matmul
        self.group = group
    }

    public var description: String { "\(matmul)" + (group.map { " in groups of \($0[0])×\($0[1])" } ?? "") }
}

/// The matmul configuration chosen for each shape a model's training launches, and the build and work-group of
/// each convolution and pooling launch, by `Tuner`; the shapes without one run the library's own.
public struct Tuning: Equatable, Sendable {
    public var choices: [MatmulShape: MatmulChoice]
    public var grids: [GridShape: GridChoice]

    public init(choices: [MatmulShape: MatmulChoice] = [:], grids: [GridShape: GridChoice] = [:]) {
        (self.choices, self.grids) = (choices, grids)
    }

    public var isEmpty: Bool { choices.isEmpty && grids.isEmpty }

    /// The configuration tuned for `shape`, else the one tuned for the same kernel and layer at the nearest
    /// number of rows: evaluation runs the training shapes on larger batches, and a layer's best blocking
    /// depends on its widths far more than on its rows.
    public func choice(for shape: MatmulShape) -> MatmulChoice? {
        guard !choices.isEmpty else { return nil }
        if let exact = choices[shape] { return exact }
        // A loop rather than filter + min: this runs per launch, and must not allocate.
        var nearest: (rows: Int, matmul: MatmulChoice)?
        for (key, matmul) in choices where key.kernel == shape.kernel && key.inputs == shape.inputs && key.outputs == shape.outputs
            && key.inputGradient == shape.inputGradient {
            let distance = abs(key.rows - shape.rows)
            if let best = nearest, (abs(best.rows - shape.rows), best.rows) <= (distance, key.rows) { continue }
            nearest = (key.rows, matmul)
        }
        return nearest?.matmul
    }
}
