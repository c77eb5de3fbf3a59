#include "CPNG.h"

#include <CSystemLibrary.h>

SYSTEM_LIBRARY_SYMBOLS(CPNG_FUNCTIONS)

int dl_load_png(const char *path, char *error, size_t error_size) {
    return SYSTEM_LIBRARY_OPEN(path, "CLTRAIN_PNG_LIBRARY", "libpng16.so.16", "libpng 1.6", error, error_size);
}
