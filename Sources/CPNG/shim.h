// PNG images for `predict --image` are decoded by the system's libpng (Debian: libpng-dev), through its
// simplified png_image_* API: it reports errors in the png_image struct instead of longjmp-ing through callers.
#include <png.h>
