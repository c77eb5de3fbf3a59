#include "CPNG.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#define CPNG_POINTER(ret, name, params, args) static ret (*p_##name) params;
CPNG_FUNCTIONS(CPNG_POINTER)
#undef CPNG_POINTER

#define CPNG_FORWARD(ret, name, params, args) ret dl_##name params { return p_##name args; }
CPNG_FUNCTIONS(CPNG_FORWARD)
#undef CPNG_FORWARD

static void *library;

int dl_load_png(const char *path, char *error, size_t error_size) {
    if (library) return 0;
    if (!path) path = getenv("CLTRAIN_PNG_LIBRARY");
    if (!path || !*path) path = "libpng16.so.16";
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        snprintf(error, error_size, "%s", dlerror());
        return -1;
    }
#define CPNG_RESOLVE(ret, name, params, args) \
    p_##name = (ret (*) params)dlsym(handle, #name); \
    if (!p_##name) { \
        snprintf(error, error_size, "%s has no symbol " #name " (not libpng 1.6)", path); \
        dlclose(handle); \
        return -1; \
    }
    CPNG_FUNCTIONS(CPNG_RESOLVE)
#undef CPNG_RESOLVE
    library = handle;
    return 0;
}
