// CJPEG: libjpeg-turbo's TurboJPEG API, loaded at run time, for JPEG images in image folders.
//
// libturbojpeg.so.0 is opened with dlopen instead of being linked, so cltrain starts on a machine without it and
// decoding a JPEG can say what to install. The TurboJPEG API returns errors (tjGetErrorStr2) instead of
// longjmp-ing through callers, as libjpeg's own API would. Each dl_<name> forwards to the symbol <name> found by
// dl_load_jpeg(). <turbojpeg.h> is included for its types and constants only.
#ifndef CJPEG_BRIDGE_H
#define CJPEG_BRIDGE_H

#include <stddef.h>
#include <turbojpeg.h>

// X(return type, symbol, parameter list, argument list)
#define CJPEG_FUNCTIONS(X) \
    X(tjhandle, tjInitDecompress, (void), ()) \
    X(int, tjDecompressHeader3, (tjhandle handle, const unsigned char *jpeg, unsigned long size, int *width, \
      int *height, int *subsampling, int *colorspace), (handle, jpeg, size, width, height, subsampling, colorspace)) \
    X(int, tjDecompress2, (tjhandle handle, const unsigned char *jpeg, unsigned long size, unsigned char *buffer, \
      int width, int pitch, int height, int format, int flags), \
      (handle, jpeg, size, buffer, width, pitch, height, format, flags)) \
    X(char *, tjGetErrorStr2, (tjhandle handle), (handle)) \
    X(int, tjDestroy, (tjhandle handle), (handle))

#define CJPEG_DECLARE(ret, name, params, args) ret dl_##name params;
CJPEG_FUNCTIONS(CJPEG_DECLARE)
#undef CJPEG_DECLARE

/// Opens libturbojpeg and resolves every entry point above. `path` may be NULL: then $CLTRAIN_JPEG_LIBRARY,
/// else libturbojpeg.so.0, is opened. Returns 0 on success (also when already loaded); otherwise writes a
/// one-line reason into `error`.
int dl_load_jpeg(const char *path, char *error, size_t error_size);

#endif
