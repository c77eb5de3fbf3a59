import CJPEG

/// JPEG files (baseline and progressive) through the system's libjpeg-turbo, loaded when the first JPEG is read
/// (see CJPEG.h). Grey JPEGs give one plane, every other colour space three (RGB).
enum JPEG {
    private static let loaded = Result { () throws(SystemLibraryError) in try SystemLibrary.jpeg.load(dl_load_jpeg) }

    static func decode(_ bytes: [UInt8], path: String) throws -> PlanarImage {
        try loaded.get()
        guard let handle = dl_tjInitDecompress() else { throw PictureError.jpeg(path: path, message: "libturbojpeg failed to start") }
        defer { _ = dl_tjDestroy(handle) }
        func failure() -> PictureError { .jpeg(path: path, message: String(cString: dl_tjGetErrorStr2(handle))) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        guard dl_tjDecompressHeader3(handle, bytes, UInt(bytes.count), &width, &height, &subsampling, &colorspace) == 0 else {
            throw failure()
        }
        guard (1...Int32(Picture.maxSide)).contains(width) && (1...Int32(Picture.maxSide)).contains(height) else {
            throw PictureError.tooLarge(path: path, width: Int(width), height: Int(height))
        }
        let channels = colorspace == Int32(TJCS_GRAY.rawValue) ? 1 : 3
        var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * channels)
        // A truncated or damaged file is refused (TJFLAG_STOPONWARNING) instead of training on its grey remainder.
        guard dl_tjDecompress2(handle, bytes, UInt(bytes.count), &pixels, width, 0, height,
                               Int32((channels == 1 ? TJPF_GRAY : TJPF_RGB).rawValue), TJFLAG_STOPONWARNING) == 0 else {
            throw failure()
        }
        return PlanarImage(interleaved: pixels, width: Int(width), height: Int(height), channels: channels)
    }
}
