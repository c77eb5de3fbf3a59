#include "CBLAS.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#define CBLAS_POINTER(ret, name, params, args) static ret (*p_##name) params;
CBLAS_FUNCTIONS(CBLAS_POINTER)
#undef CBLAS_POINTER

#define CBLAS_FORWARD(ret, name, params, args) ret dl_##name params { return p_##name args; }
CBLAS_FUNCTIONS(CBLAS_FORWARD)
#undef CBLAS_FORWARD

static void *library;

int dl_load_openblas(const char *path, char *error, size_t error_size) {
    if (library) return 0;
    if (!path) path = getenv("CLTRAIN_OPENBLAS_LIBRARY");
    if (!path || !*path) path = "libopenblas.so.0";
    // RTLD_LOCAL: OpenBLAS's symbols (and its copy of LAPACK) stay out of the global namespace.
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        snprintf(error, error_size, "%s", dlerror());
        return -1;
    }
#define CBLAS_RESOLVE(ret, name, params, args) \
    p_##name = (ret (*) params)dlsym(handle, #name); \
    if (!p_##name) { \
        snprintf(error, error_size, "%s has no symbol " #name " (not OpenBLAS)", path); \
        dlclose(handle); \
        return -1; \
    }
    CBLAS_FUNCTIONS(CBLAS_RESOLVE)
#undef CBLAS_RESOLVE
    library = handle;
    return 0;
}

void *dl_openblas_symbol(const char *name) {
    return library ? dlsym(library, name) : NULL;
}

int dl_openblas_loaded(void) {
    return library != NULL;
}
