extension Model {
    /// Layers that compute something after the last layer with parameters (a `relu` or `dropout` after the final
    /// `linear`): they change the scores the log-softmax reads, which the loss cannot undo (issue 23: a trailing ReLU
    /// clipped negative scores to 0 and the model trained to 0.54 instead of 0.89). One line each, for a warning.
    public var cautions: [String] {
        guard let last = stages.last(where: { !$0.tensors.isEmpty }) else { return [] }
        return layers.indices.filter { $0 > last.index && !layers[$0].isView }.map { index in
            "\(layers[index]) (layer \(index)) comes after the last layer with parameters, \(last.layer) (layer \(last.index)): "
                + "it changes the scores the log-softmax reads; end the model with \(last.layer)"
        }
    }
}
