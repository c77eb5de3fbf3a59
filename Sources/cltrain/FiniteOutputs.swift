import CLTrain

/// Refuses figures computed from non-finite outputs: weights that overflow in Float (a checkpoint's values are
/// finite, but their products need not be) or a normalization that divides by a denormal make the log-softmax
/// NaN, and "-nan" printed with exit status 0 would read as a result.
func checkFiniteOutputs(_ values: [Double], checkpoint path: String, on input: String) throws {
    guard let bad = values.first(where: { !$0.isFinite }) else { return }
    throw CommandError("\(path): the model produces non-finite outputs (\(bad)) on \(input); its weights or its "
        + "normalization overflow in Float, so it has no result to report")
}
