import TestFixtures
import Testing
@testable import CLTrain

/// PNG (every colour type, 16-bit) and JPEG (grey, colour, progressive) decode into planes as datasets store them.
@Suite struct PlanarImageTests {
    /// A 3×2 image whose every pixel differs, so a swapped axis or channel shows.
    let grey: [UInt8] = [0, 40, 80, 120, 160, 250]
    var rgb: [UInt8] { grey.flatMap { [$0, 255 - $0, $0 / 2] } }
    /// The planes `rgb` should decode to: all reds, then all greens, then all blues.
    var rgbPlanes: [UInt8] { grey + grey.map { 255 - $0 } + grey.map { $0 / 2 } }

    func decode(_ bytes: [UInt8]) throws -> PlanarImage { try PlanarImage.decode(bytes, path: "test image") }

    @Test func pngGreyAndColourKeepTheirChannels() throws {
        #expect(try decode(ImageFileWriter.png(width: 3, height: 2, kind: .grey, samples: grey))
                == PlanarImage(width: 3, height: 2, channels: 1, pixels: grey))
        #expect(try decode(ImageFileWriter.png(width: 3, height: 2, kind: .grey, samples: grey, sixteenBit: true)).pixels == grey)
        #expect(try decode(ImageFileWriter.png(width: 3, height: 2, kind: .rgb, samples: rgb))
                == PlanarImage(width: 3, height: 2, channels: 3, pixels: rgbPlanes))
        #expect(try decode(ImageFileWriter.png(width: 3, height: 2, kind: .rgb, samples: rgb, sixteenBit: true)).pixels == rgbPlanes)
        // Palette entry i is (i·50, 0, 255 − i·50): a colour palette gives three planes.
        let palette: [UInt8] = (0..<6).flatMap { (i: Int) -> [UInt8] in [UInt8(i * 50), 0, UInt8(255 - i * 50)] }
        let indices: [UInt8] = [0, 1, 2, 3, 4, 5]
        #expect(try decode(ImageFileWriter.png(width: 3, height: 2, kind: .palette, samples: indices, palette: palette)).pixels
                == indices.map { $0 * 50 } + indices.map { _ in 0 } + indices.map { 255 - $0 * 50 })
    }

    /// Alpha is composited on black: opaque pixels keep their value, transparent ones become 0.
    @Test func alphaIsCompositedOnBlack() throws {
        let alpha: [UInt8] = [255, 0, 255, 0, 255, 255]
        let greyAlpha = zip(grey, alpha).flatMap { [$0, $1] }
        let expected = zip(grey, alpha).map { $1 == 0 ? 0 : $0 }
        #expect(try decode(ImageFileWriter.png(width: 3, height: 2, kind: .greyAlpha, samples: greyAlpha))
                == PlanarImage(width: 3, height: 2, channels: 1, pixels: expected))
        let rgba: [UInt8] = (0..<6).flatMap { (i: Int) -> [UInt8] in Array(rgb[(3 * i)..<(3 * i + 3)]) + [alpha[i]] }
        let planes: [UInt8] = rgbPlanes.enumerated().map { (i: Int, value: UInt8) -> UInt8 in alpha[i % 6] == 0 ? 0 : value }
        #expect(try decode(ImageFileWriter.png(width: 3, height: 2, kind: .rgba, samples: rgba)).pixels == planes)
    }

    /// JPEG is lossy: at quality 100 without subsampling a smooth image comes back within a few levels.
    @Test(arguments: [false, true])
    func jpegGreyAndColour(progressive: Bool) throws {
        let smooth = (0..<64).map { UInt8(100 + $0 % 8 * 4) }
        let greyImage = try decode(ImageFileWriter.jpeg(width: 8, height: 8, channels: 1, samples: smooth, progressive: progressive))
        #expect(greyImage.channels == 1 && greyImage.width == 8 && greyImage.height == 8)
        expectClose(greyImage.pixels.map(Double.init), smooth.map(Double.init), absolute: 3, "grey JPEG")
        let colour = smooth.flatMap { [$0, $0 / 2, 255 - $0] }
        let colourImage = try decode(ImageFileWriter.jpeg(width: 8, height: 8, channels: 3, samples: colour, progressive: progressive))
        #expect(colourImage.channels == 3)
        expectClose(colourImage.pixels.map(Double.init), (smooth + smooth.map { $0 / 2 } + smooth.map { 255 - $0 }).map(Double.init),
                    absolute: 4, "colour JPEG")
    }

    @Test func damagedFilesAreErrorsNamingThem() throws {
        let png = ImageFileWriter.png(width: 3, height: 2, kind: .rgb, samples: rgb)
        let jpeg = ImageFileWriter.jpeg(width: 8, height: 8, channels: 3, samples: [UInt8](repeating: 90, count: 192))
        for bytes in [Array(png.prefix(40)), Array(jpeg.prefix(jpeg.count / 2)), Array(png.prefix(8)) + [UInt8](repeating: 0, count: 30)] {
            #expect { try decode(bytes) } throws: { "\($0)".hasPrefix("test image: ") && !"\($0)".contains("\n") }
        }
    }

    @Test func greyBecomesRGBAndResizingWorksPerPlane() {
        let image = PlanarImage(width: 2, height: 2, channels: 1, pixels: [0, 100, 200, 40])
        #expect(image.rgb().pixels == image.pixels + image.pixels + image.pixels)
        let colour = PlanarImage(width: 2, height: 2, channels: 3, pixels: [0, 100, 200, 40, 10, 10, 10, 10, 4, 8, 12, 16])
        #expect(colour.resized(width: 1, height: 1).pixels == [85, 10, 10])
    }
}
