import CPNG

/// PNG files through the system's libpng, loaded when the first PNG is read (see CPNG.h). Its simplified API
/// (png_image_*) does the conversions (palette, RGB, 16-bit, gamma) and reports errors in the struct rather than
/// longjmp-ing through Swift frames.
enum PNG {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    private static let loaded = Result { () throws(SystemLibraryError) in try SystemLibrary.png.load(dl_load_png) }

    /// A grey picture for `predict --image`: transparency is resolved where we know what the visible pixels look like.
    static func decode(_ bytes: [UInt8], path: String) throws -> Picture {
        let (width, height, greyAlpha) = try read(bytes, path: path) { _ in png_uint_32(PNG_FORMAT_GA) }
        return Picture(width: width, height: height, pixels: composited(greyAlpha))
    }

    /// A training image: grey files (grey, grey+alpha, grey palettes) give one plane, colour files three; alpha is
    /// composited on black. 16-bit files are read as 16-bit and rounded to 8 bits: asked for 8 bits, libpng would
    /// treat their samples as linear light and gamma-encode them, brightening every image.
    static func decodePlanar(_ bytes: [UInt8], path: String) throws -> PlanarImage {
        var channels = 1, sixteenBit = false
        let (width, height, samples) = try read(bytes, path: path) { (format: png_uint_32) -> png_uint_32 in
            channels = format & png_uint_32(PNG_FORMAT_FLAG_COLOR) != 0 ? 3 : 1
            sixteenBit = format & png_uint_32(PNG_FORMAT_FLAG_LINEAR) != 0
            return (channels == 3 ? png_uint_32(PNG_FORMAT_RGB) : png_uint_32(PNG_FORMAT_GRAY))
                | (sixteenBit ? png_uint_32(PNG_FORMAT_FLAG_LINEAR) : 0)
        }
        let pixels = !sixteenBit ? samples : samples.withUnsafeBytes { raw in
            raw.bindMemory(to: UInt16.self).map { UInt8((UInt32($0) + 128) / 257) }
        }
        return PlanarImage(interleaved: pixels, width: width, height: height, channels: channels)
    }

    /// Decodes into the `format` that `choose` picks from the file's own format: its samples' bytes, row by row.
    private static func read(_ bytes: [UInt8], path: String,
                             choose: (png_uint_32) -> png_uint_32) throws -> (width: Int, height: Int, pixels: [UInt8]) {
        try loaded.get()
        // libpng reads from `bytes` until the image is finished, so both calls happen while they are pinned.
        return try bytes.withUnsafeBytes { memory in
            var image = png_image()
            image.version = png_uint_32(PNG_IMAGE_VERSION)
            guard dl_png_image_begin_read_from_memory(&image, memory.baseAddress, memory.count) != 0 else {
                throw PictureError.png(path: path, message: message(image))
            }
            let (width, height) = (Int(image.width), Int(image.height))
            guard (1...Picture.maxSide).contains(width) && (1...Picture.maxSide).contains(height) else {
                dl_png_image_free(&image)
                throw PictureError.tooLarge(path: path, width: width, height: height)
            }
            image.format = choose(image.format)
            let sampleBytes = image.format & png_uint_32(PNG_FORMAT_FLAG_LINEAR) != 0 ? 2 : 1
            var pixels = [UInt8](repeating: 0, count: width * height * Int(image.format & 3 + 1) * sampleBytes)
            var black = png_color(red: 0, green: 0, blue: 0)
            guard dl_png_image_finish_read(&image, &black, &pixels, 0, nil) != 0 else {
                throw PictureError.png(path: path, message: message(image))
            }
            return (width, height, pixels)
        }
    }

    /// Transparent pixels are laid on the background that contrasts with the visible strokes: a dark digit drawn
    /// on a transparent canvas shows on white, a light one on black.
    private static func composited(_ greyAlpha: [UInt8]) -> [UInt8] {
        var ink = 0.0, opacity = 0.0
        for i in stride(from: 0, to: greyAlpha.count, by: 2) {
            let alpha = Double(greyAlpha[i + 1]) / 255
            ink += Double(greyAlpha[i]) * alpha
            opacity += alpha
        }
        let background = opacity > 0 && ink / opacity < 128 ? 255.0 : 0.0
        return stride(from: 0, to: greyAlpha.count, by: 2).map { i in
            let alpha = Double(greyAlpha[i + 1]) / 255
            return UInt8((Double(greyAlpha[i]) * alpha + background * (1 - alpha)).rounded())
        }
    }

    private static func message(_ image: png_image) -> String {
        var text = image.message
        return withUnsafeBytes(of: &text) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
