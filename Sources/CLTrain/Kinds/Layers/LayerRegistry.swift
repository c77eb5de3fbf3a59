/// Every layer kind a model spec can name: one line per kind.
public enum LayerRegistry {
    public static let kinds: [any Layer.Type] = [
        Linear.self,
        ReLU.self,
        Dropout.self,
        Flatten.self,
        Conv2d.self,
        MaxPool2d.self,
        AvgPool2d.self,
        AdaptiveAvgPool2d.self,
        BatchNorm2d.self,
        BatchNorm1d.self,
        Residual.self,
    ]
}
