#include "CBLAS.h"

#include <CSystemLibrary.h>
#include <dlfcn.h>

SYSTEM_LIBRARY_SYMBOLS(CBLAS_FUNCTIONS)

int dl_load_openblas(const char *path, char *error, size_t error_size) {
    return SYSTEM_LIBRARY_OPEN(path, "CLTRAIN_OPENBLAS_LIBRARY", "libopenblas.so.0", "OpenBLAS", error, error_size);
}

int dl_openblas_loaded(void) {
    return system_library_handle != NULL;
}

void *dl_openblas_symbol(const char *name) {
    return system_library_handle ? dlsym(system_library_handle, name) : NULL;
}
