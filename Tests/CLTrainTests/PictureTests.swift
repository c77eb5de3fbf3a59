import CZlib
import Foundation
import Testing
@testable import CLTrain

/// A PNG file written by hand (signature, IHDR, one zlib IDAT with filter 0 rows, IEND), so the tests control
/// every field libpng reads. `samples` are the raw row bytes without filter bytes.
func pngFile(width: Int, height: Int, bitDepth: UInt8 = 8, colorType: UInt8, samples: [UInt8], palette: [UInt8]? = nil) -> [UInt8] {
    func be32(_ value: Int) -> [UInt8] { [24, 16, 8, 0].map { UInt8((value >> $0) & 0xFF) } }
    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        let crc = body.withUnsafeBufferPointer { crc32(0, $0.baseAddress, UInt32($0.count)) }
        return be32(data.count) + body + be32(Int(crc))
    }
    let rowBytes = samples.count / max(height, 1)
    let filtered = (0..<height).flatMap { [0] + samples[($0 * rowBytes)..<(($0 + 1) * rowBytes)] }
    var compressedSize = compressBound(UInt(filtered.count))
    var compressed = [UInt8](repeating: 0, count: Int(compressedSize))
    precondition(compress(&compressed, &compressedSize, filtered, UInt(filtered.count)) == Z_OK)
    var file = PNG.signature + chunk("IHDR", be32(width) + be32(height) + [bitDepth, colorType, 0, 0, 0])
    if let palette { file += chunk("PLTE", palette) }
    return file + chunk("IDAT", Array(compressed[..<Int(compressedSize)])) + chunk("IEND", [])
}

@Suite struct PictureTests {
    let seven = DigitFixture.seven

    func read(_ bytes: [UInt8], name: String = "digit.png") throws -> Picture {
        let scratch = try TemporaryFolder()
        return try Picture.read(path: scratch.write(name, bytes))
    }

    @Test func greyPNGReadsExactly() throws {
        // Named .pgm: the format comes from the first bytes, not the name.
        let picture = try read(pngFile(width: 28, height: 28, colorType: 0, samples: seven), name: "digit.pgm")
        #expect(picture == Picture(width: 28, height: 28, pixels: seven))
        #expect(!picture.isDarkOnLight)
    }

    @Test func rgbDarkOnLightAtTwiceTheSizeBecomesTheMNISTDigit() throws {
        // Black ink on white paper, each pixel doubled both ways, as RGB.
        let big: [UInt8] = (0..<(56 * 56)).map { i in 255 - seven[(i / 56 / 2) * 28 + (i % 56) / 2] }
        let picture = try read(pngFile(width: 56, height: 56, colorType: 2, samples: big.flatMap { value -> [UInt8] in [value, value, value] }))
        #expect(picture.width == 56 && picture.isDarkOnLight)
        #expect(picture.resized(width: 28, height: 28).inverted().pixels == seven)
    }

    @Test func paletteSixteenBitAndAlphaAreConverted() throws {
        let palette = try read(pngFile(width: 2, height: 1, colorType: 3, samples: [1, 0], palette: [0, 0, 0, 255, 255, 255]))
        #expect(palette.pixels == [255, 0])
        let deep = try read(pngFile(width: 2, height: 1, bitDepth: 16, colorType: 0, samples: [0xFF, 0xFF, 0, 0]))
        #expect(deep.pixels == [255, 0])
        // Dark strokes on a transparent canvas: the canvas shows as white, so the image reads as dark on light.
        let strokes: [UInt8] = (0..<64).flatMap { i -> [UInt8] in i % 9 == 0 ? [0, 255] : [200, 0] }
        let alpha = try read(pngFile(width: 8, height: 8, colorType: 4, samples: strokes))
        #expect(alpha.pixels.enumerated().allSatisfy { $0.element == ($0.offset % 9 == 0 ? 0 : 255) } && alpha.isDarkOnLight)
    }

    @Test func badFilesAreRefusedInOneLine() throws {
        let scratch = try TemporaryFolder()
        func refusal(_ bytes: [UInt8]) throws -> String {
            let path = try scratch.write("bad.png", bytes)
            do { _ = try Picture.read(path: path); return "read" } catch let error as PictureError {
                #expect(error.description.hasPrefix(path) && !error.description.contains("\n"))
                return error.description
            }
        }
        #expect(try refusal(PNG.signature + [1, 2, 3]).contains("not a readable PNG"))
        let valid = pngFile(width: 4, height: 4, colorType: 0, samples: [UInt8](repeating: 9, count: 16))
        #expect(try refusal(Array(valid.prefix(valid.count - 20))).contains("not a readable PNG"))
        // 100000×100000 promised by the header: refused from the header, before any pixel memory exists.
        #expect(try refusal(pngFile(width: 100_000, height: 100_000, colorType: 0, samples: [])).contains("100000×100000"))
        #expect(try refusal(Array("GIF89a".utf8)).contains("not a PNG, JPEG or PGM image"))
    }

    @Test func resizeAveragesByArea() {
        let picture = Picture(width: 3, height: 1, pixels: [0, 90, 180])
        #expect(picture.resized(width: 1, height: 1).pixels == [90])
        // 3 → 2: each new pixel covers one and a half old ones.
        #expect(picture.resized(width: 2, height: 1).pixels == [30, 150])
        #expect(Picture(width: 1, height: 1, pixels: [77]).resized(width: 3, height: 2).pixels == [UInt8](repeating: 77, count: 6))
    }
}
