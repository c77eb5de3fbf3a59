import CLKit

let residualChecks = [
    KernelCheckEntry("residual_forward") { checks in
        try checks.lengths.enumerated().map { try checks.residualForward($1, relu: $0 % 2 == 0) }
    },
    KernelCheckEntry("residual_backward") { checks in
        try checks.lengths.enumerated().map { try checks.residualBackward($1, masked: $0 % 2 == 1) }
    },
]

extension KernelChecks {
    /// One addition per value: the kernel and the twin round alike.
    mutating func residualForward(_ count: Int, relu: Bool) throws -> KernelCheckResult {
        let a = floats(count), b = floats(count)
        let y = try GuardedOutput<Float>(context: context, count: count)
        let seconds = try timed { try library.residualForward(count: count, a: input(a), b: input(b), relu: relu, y: y.buffer) }
        return try compare(kernel: "residual_forward", sizes: "\(count)\(relu ? " +relu" : "")", output: y,
                           expected: Reference.residualForward(a, b, relu: relu), absolute: 0, relative: 0, seconds: seconds)
    }

    mutating func residualBackward(_ count: Int, masked: Bool) throws -> KernelCheckResult {
        let a = floats(count), b = floats(count), x = floats(count).map { max($0, 0) }
        let dx = try GuardedOutput<Float>(context: context, count: count)
        let seconds = try timed {
            try library.residualBackward(count: count, a: input(a), b: input(b), reluOutput: masked ? input(x) : nil, dx: dx.buffer)
        }
        return try compare(kernel: "residual_backward", sizes: "\(count)\(masked ? " +mask" : "")", output: dx,
                           expected: Reference.residualBackward(a, b, reluOutput: masked ? x : nil), absolute: 0, relative: 0,
                           seconds: seconds)
    }
}
