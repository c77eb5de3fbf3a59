/// A horizontal bar in block characters for progress and probabilities.
enum TextBar {
    /// `fraction` (0...1) of `width` cells filled in eighths, so the bar moves smoothly even when short.
    static func draw(_ fraction: Double, width: Int = 24) -> String {
        let eighths = Int((fraction * Double(width * 8)).rounded(.down))
        let partial = eighths % 8 == 0 ? "" : String(Array(" ▏▎▍▌▋▊▉")[eighths % 8])
        let full = String(repeating: "█", count: eighths / 8)
        return "[" + full + partial + String(repeating: " ", count: width - eighths / 8 - partial.count) + "]"
    }
}
