#include "CJPEG.h"

#include <CSystemLibrary.h>

SYSTEM_LIBRARY_SYMBOLS(CJPEG_FUNCTIONS)

int dl_load_jpeg(const char *path, char *error, size_t error_size) {
    return SYSTEM_LIBRARY_OPEN(path, "CLTRAIN_JPEG_LIBRARY", "libturbojpeg.so.0", "libjpeg-turbo's TurboJPEG", error, error_size);
}
