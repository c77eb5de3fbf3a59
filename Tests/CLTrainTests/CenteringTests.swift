import Testing
@testable import CLTrain

/// `predict --image`'s preparation as MNIST's: the ink's box scaled into 20×20 (aspect kept) and its centre of mass at the
/// centre of 28×28.
@Suite struct CenteringTests {
    /// A 100×60 canvas, black, with an `inkWidth`×`inkHeight` white block at (x, y).
    func drawing(x: Int, y: Int, inkWidth: Int, inkHeight: Int) -> Picture {
        Picture(width: 100, height: 60, pixels: (0..<6000).map { index in
            (x..<(x + inkWidth)).contains(index % 100) && (y..<(y + inkHeight)).contains(index / 100) ? 255 : 0
        })
    }

    func inkBox(_ picture: Picture) -> (width: Int, height: Int, centreX: Double, centreY: Double) {
        let inked = picture.pixels.indices.filter { picture.pixels[$0] > 0 }
        let xs = inked.map { $0 % picture.width }, ys = inked.map { $0 / picture.width }
        let mass = inked.reduce(0.0) { $0 + Double(picture.pixels[$1]) }
        return (xs.max()! - xs.min()! + 1, ys.max()! - ys.min()! + 1,
                inked.reduce(0.0) { $0 + Double(picture.pixels[$1]) * (Double($1 % picture.width) + 0.5) } / mass,
                inked.reduce(0.0) { $0 + Double(picture.pixels[$1]) * (Double($1 / picture.width) + 0.5) } / mass)
    }

    @Test func aSmallOffCentreDrawingFillsTwentyPixelsAtTheCentre() {
        // Tall and thin, in a corner: its height becomes 20, its width 20·(5/10) = 10, aspect kept.
        let centred = drawing(x: 3, y: 2, inkWidth: 5, inkHeight: 10).centered(width: 28, height: 28)
        let box = inkBox(centred)
        #expect(centred.width == 28 && centred.height == 28)
        #expect(box.height == 20 && box.width == 10, "\(box)")
        #expect(abs(box.centreX - 14) <= 0.5 && abs(box.centreY - 14) <= 0.5, "\(box)")
        // Only resizing, as --no-center does, leaves it small and in the corner.
        let resized = inkBox(drawing(x: 3, y: 2, inkWidth: 5, inkHeight: 10).resized(width: 28, height: 28))
        #expect(resized.height < 8 && resized.centreX < 5)
    }

    @Test func aBlankPictureIsOnlyResized() {
        let blank = Picture(width: 50, height: 50, pixels: [UInt8](repeating: 0, count: 2500))
        #expect(blank.centered(width: 28, height: 28) == blank.resized(width: 28, height: 28))
    }
}
