import CLTrain
import Testing

/// One update by `settings`' kind on arrays, at the base rate unless `learningRate` says otherwise.
func applyRule(_ settings: OptimizerConfig, parameters: inout [Float], gradients: [Float], state: inout [[Float]],
               step: Int, learningRate: Float? = nil) {
    UpdateVectors.over(parameters: &parameters, gradients: gradients, state: &state) {
        settings.rule.update($0, step: step, learningRate: learningRate ?? settings.learningRate, settings: settings)
    }
}

// MARK: - Each rule against steps worked out by hand

@Test func sgdByHand() {
    // Plain SGD: p − lr·g = [1 − 0.05, −2 − 0.025].
    var p: [Float] = [1, -2], none: [[Float]] = []
    applyRule(OptimizerConfig(kind: SGD.name, learningRate: 0.1), parameters: &p, gradients: [0.5, 0.25], state: &none, step: 1)
    expectClose(p, [0.95, -2.025] as [Float], absolute: 1e-6, "plain SGD")
}

@Test func sgdWithMomentumAndWeightDecayByHand() {
    // lr 0.1, μ 0.9, λ 0.01, gradient [0.5, 0.25] twice, from p = [1, −2]:
    // step 1: g = [0.5 + 0.01, 0.25 − 0.02] = [0.51, 0.23] = v; p = [1 − 0.051, −2 − 0.023] = [0.949, −2.023]
    // step 2: g = [0.5 + 0.00949, 0.25 − 0.02023] = [0.50949, 0.22977];
    //         v = 0.9·[0.51, 0.23] + g = [0.96849, 0.43677]; p = [0.949 − 0.096849, −2.023 − 0.043677]
    let settings = OptimizerConfig(kind: SGD.name, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
    var p: [Float] = [1, -2], state: [[Float]] = [[0, 0]]
    applyRule(settings, parameters: &p, gradients: [0.5, 0.25], state: &state, step: 1)
    expectClose(p, [0.949, -2.023] as [Float], absolute: 1e-6, "p after step 1")
    expectClose(state[0], [0.51, 0.23] as [Float], absolute: 1e-6, "v after step 1")
    applyRule(settings, parameters: &p, gradients: [0.5, 0.25], state: &state, step: 2)
    expectClose(p, [0.852151, -2.066677] as [Float], absolute: 1e-6, "p after step 2")
    expectClose(state[0], [0.96849, 0.43677] as [Float], absolute: 1e-6, "v after step 2")
}

@Test func nesterovByHand() {
    // lr 0.1, μ 0.9, gradient 0.5 twice, from p = 1 (PyTorch: v = μ·v + g; g = g + μ·v):
    // step 1: v = 0.5, g = 0.5 + 0.45 = 0.95, p = 0.905; step 2: v = 0.95, g = 0.5 + 0.855 = 1.355, p = 0.7695.
    let settings = OptimizerConfig(kind: SGD.name, learningRate: 0.1, momentum: 0.9, nesterov: true)
    var p: [Float] = [1], state: [[Float]] = [[0]]
    applyRule(settings, parameters: &p, gradients: [0.5], state: &state, step: 1)
    expectClose(p, [0.905] as [Float], absolute: 1e-6, "p after step 1")
    applyRule(settings, parameters: &p, gradients: [0.5], state: &state, step: 2)
    expectClose(p, [0.7695] as [Float], absolute: 1e-6, "p after step 2")
    expectClose(state[0], [0.95] as [Float], absolute: 1e-6, "v after step 2")
}

@Test func adamByHand() {
    // lr 0.1, β (0.9, 0.999), ε 1e-8, λ 0.1, from p = [1, −2]:
    // step 1, gradient [0.5, −0.25]: g = [0.6, −0.45]; m = 0.1·g = [0.06, −0.045]; v = 0.001·g² = [3.6e-4, 2.025e-4];
    //   stepSize = 0.1/(1 − 0.9) = 1, √v/√0.001 = |g|, so p moves by lr·sign(g): [0.9, −1.9].
    // step 2, gradient [−0.5, 0.1]: g = [−0.5 + 0.09, 0.1 − 0.19] = [−0.41, −0.09];
    //   m = 0.9·m + 0.1·g = [0.013, −0.0495]; v = 0.999·v + 0.001·g² = [5.27740e-4, 2.103975e-4];
    //   stepSize = 0.1/0.19 = 0.5263158, √(1 − 0.999²) = 0.0447102, √v/0.0447102 = [0.513810, 0.324423];
    //   p −= 0.5263158·m/that = [0.0133164, −0.0803041] → [0.8866836, −1.8196959].
    let settings = OptimizerConfig(kind: Adam.name, learningRate: 0.1, weightDecay: 0.1)
    // β2 = 0.999 is not exact in Float, so 1 − β2 is 0.00099998713 and v lands 1.3e-5 (relative) from the
    // decimal values; v is checked to 1e-4 relative, p and m (whose factors are exact enough) absolutely.
    var p: [Float] = [1, -2], state: [[Float]] = [[0, 0], [0, 0]]
    applyRule(settings, parameters: &p, gradients: [0.5, -0.25], state: &state, step: 1)
    expectClose(p, [0.9, -1.9] as [Float], absolute: 1e-6, "p after step 1")
    expectClose(state[0], [0.06, -0.045] as [Float], absolute: 1e-7, "m after step 1")
    expectClose(state[1], [3.6e-4, 2.025e-4] as [Float], absolute: 0, relative: 1e-4, "v after step 1")
    applyRule(settings, parameters: &p, gradients: [-0.5, 0.1], state: &state, step: 2)
    expectClose(p, [0.8866836, -1.8196959] as [Float], absolute: 1e-6, "p after step 2")
    expectClose(state[0], [0.013, -0.0495] as [Float], absolute: 1e-7, "m after step 2")
    expectClose(state[1], [5.27740e-4, 2.103975e-4] as [Float], absolute: 0, relative: 1e-4, "v after step 2")
}

@Test func adamWByHand() {
    // lr 0.1, λ 0.1 decoupled, gradient 0.5, from p = 1: p ← 1·(1 − 0.01) = 0.99 first; then Adam without decay:
    // m = 0.05, v = 2.5e-4, stepSize = 1, √v/√0.001 = 0.5, so p = 0.99 − 0.05/0.5 = 0.89. Adam with the same λ
    // would add it to the gradient instead (g = 0.6) and land at 0.9: the two must differ.
    let settings = OptimizerConfig(kind: AdamW.name, learningRate: 0.1, weightDecay: 0.1)
    var p: [Float] = [1], state: [[Float]] = [[0], [0]]
    applyRule(settings, parameters: &p, gradients: [0.5], state: &state, step: 1)
    expectClose(p, [0.89] as [Float], absolute: 1e-6, "p after step 1")
    expectClose(state[0], [0.05] as [Float], absolute: 1e-7, "m: the decay stays out of the gradient")
}

// MARK: - Derived from the registry

@Test func everyOptimizerIsNamedOnceAndRefusesWhatItCannotUse() throws {
    let names = OptimizerRegistry.kinds.map { $0.name }
    #expect(Set(names).count == names.count)
    for kind in OptimizerRegistry.kinds {
        let settings = OptimizerConfig(kind: kind.name, learningRate: 0.01, weightDecay: kind.defaultWeightDecay)
        #expect(throws: Never.self) { try settings.validated() }
        #expect(settings.stateNames == kind.stateNames(settings))
        #expect(!kind.checkCases.isEmpty, "\(kind.name) has no selftest cases")
    }
    #expect(throws: InvalidSetting.self) { try OptimizerConfig(kind: "rmsprop").validated() }
    #expect(throws: InvalidSetting.self) { try OptimizerConfig(kind: SGD.name, nesterov: true).validated() }
    #expect(throws: InvalidSetting.self) { try OptimizerConfig(kind: Adam.name, momentum: 0.9).validated() }
    #expect(throws: InvalidSetting.self) { try OptimizerConfig(kind: AdamW.name, momentum: 0.9).validated() }
}
