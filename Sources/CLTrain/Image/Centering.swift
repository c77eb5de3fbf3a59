extension Picture {
    /// The drawing as MNIST's digits were prepared (LeCun et al.): the ink's bounding box scaled, aspect kept, to fit a
    /// box of 20/28 of the canvas (20×20 in 28×28), then placed so that its centre of mass sits at the canvas's centre.
    /// Light ink on black, as after `inverted()`; a blank picture is returned as it is. Without this a small "3" drawn
    /// in a corner of a large canvas was read as an "8" (issue 23).
    public func centered(width canvasWidth: Int, height canvasHeight: Int) -> Picture {
        // Ink is anything brighter than a tenth of the brightest pixel: scanner noise and paper grain stay out of the box.
        let threshold = UInt8(max(1, Int(pixels.max() ?? 0) / 10))
        // The box is found in one pass, without a list of inked pixels: a picture may have 8192×8192 of them.
        var (left, top, right, bottom) = (width, height, -1, -1)
        for y in 0..<height {
            for x in 0..<width where pixels[y * width + x] >= threshold {
                (left, top, right, bottom) = (min(left, x), min(top, y), max(right, x), max(bottom, y))
            }
        }
        guard right >= 0, pixels.max()! > 0 else { return resized(width: canvasWidth, height: canvasHeight) }
        let (boxWidth, boxHeight) = (right - left + 1, bottom - top + 1)
        let crop = Picture(width: boxWidth, height: boxHeight, pixels: (top..<(top + boxHeight)).flatMap { y in
            pixels[(y * width + left)..<(y * width + left + boxWidth)]
        })
        let fitWidth = max(1, canvasWidth * 20 / 28), fitHeight = max(1, canvasHeight * 20 / 28)
        let scale = min(Double(fitWidth) / Double(boxWidth), Double(fitHeight) / Double(boxHeight))
        let scaled = crop.resized(width: max(1, Int((Double(boxWidth) * scale).rounded())),
                                  height: max(1, Int((Double(boxHeight) * scale).rounded())))
        // Centre of mass of the scaled ink, then the offset that moves it to the canvas's centre, kept on the canvas.
        var mass = 0.0, sumX = 0.0, sumY = 0.0
        for (index, value) in scaled.pixels.enumerated() {
            mass += Double(value)
            sumX += Double(value) * (Double(index % scaled.width) + 0.5)
            sumY += Double(value) * (Double(index / scaled.width) + 0.5)
        }
        let offsetX = min(max(0, Int((Double(canvasWidth) / 2 - sumX / mass).rounded())), canvasWidth - scaled.width)
        let offsetY = min(max(0, Int((Double(canvasHeight) / 2 - sumY / mass).rounded())), canvasHeight - scaled.height)
        var canvas = [UInt8](repeating: 0, count: canvasWidth * canvasHeight)
        for y in 0..<scaled.height {
            for x in 0..<scaled.width { canvas[(y + offsetY) * canvasWidth + x + offsetX] = scaled.pixels[y * scaled.width + x] }
        }
        return Picture(width: canvasWidth, height: canvasHeight, pixels: canvas)
    }
}
