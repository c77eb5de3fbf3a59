#include "COpenCL.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#define COPENCL_POINTER(ret, name, params, args) static ret (*p_cl##name) params;
COPENCL_FUNCTIONS(COPENCL_POINTER)
#undef COPENCL_POINTER

#define COPENCL_FORWARD(ret, name, params, args) ret ocl##name params { return p_cl##name args; }
COPENCL_FUNCTIONS(COPENCL_FORWARD)
#undef COPENCL_FORWARD

static void *library;

int ocl_load(const char *path, char *error, size_t error_size) {
    if (library) return 0;
    if (!path) path = getenv("CLTRAIN_OPENCL_LIBRARY");
    if (!path || !*path) path = "libOpenCL.so.1";
    // RTLD_LOCAL: the loader's symbols stay out of the global namespace, vendor drivers see only their own.
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        snprintf(error, error_size, "cannot open %s: %s", path, dlerror());
        return -1;
    }
#define COPENCL_RESOLVE(ret, name, params, args) \
    p_cl##name = (ret (*) params)dlsym(handle, "cl" #name); \
    if (!p_cl##name) { \
        snprintf(error, error_size, "%s has no symbol cl" #name " (not an OpenCL 1.2 loader)", path); \
        dlclose(handle); \
        return -1; \
    }
    COPENCL_FUNCTIONS(COPENCL_RESOLVE)
#undef COPENCL_RESOLVE
    library = handle;
    return 0;
}
