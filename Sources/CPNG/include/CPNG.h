// CPNG: libpng's simplified png_image_* API, loaded at run time, for `predict --image`.
//
// libpng16.so.16 is opened with dlopen instead of being linked, so cltrain starts on a machine without it and
// decoding a PNG can say what to install. The simplified API reports errors in the png_image struct instead of
// longjmp-ing through callers. Each dl_<name> forwards to the symbol <name> found by dl_load_png(). <png.h> is
// included for its types and constants only.
#ifndef CPNG_BRIDGE_H
#define CPNG_BRIDGE_H

#include <png.h>
#include <stddef.h>

// X(return type, symbol, parameter list, argument list)
#define CPNG_FUNCTIONS(X) \
    X(int, png_image_begin_read_from_memory, (png_imagep image, png_const_voidp memory, size_t size), \
      (image, memory, size)) \
    X(int, png_image_finish_read, (png_imagep image, png_const_colorp background, void *buffer, \
      png_int_32 row_stride, void *colormap), (image, background, buffer, row_stride, colormap)) \
    X(void, png_image_free, (png_imagep image), (image))

#define CPNG_DECLARE(ret, name, params, args) ret dl_##name params;
CPNG_FUNCTIONS(CPNG_DECLARE)
#undef CPNG_DECLARE

/// Opens libpng and resolves every entry point above. `path` may be NULL: then $CLTRAIN_PNG_LIBRARY, else
/// libpng16.so.16, is opened. Returns 0 on success (also when already loaded); otherwise writes a one-line
/// reason into `error`.
int dl_load_png(const char *path, char *error, size_t error_size);

#endif
