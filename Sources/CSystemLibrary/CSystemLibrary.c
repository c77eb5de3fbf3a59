#include "CSystemLibrary.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int system_library_open(void **library, const char *path, const char *variable, const char *fallback,
                        const char *const *names, void **symbols, size_t count, const char *what,
                        char *error, size_t error_size) {
    if (*library) return 0;
    if (!path) path = getenv(variable);
    if (!path || !*path) path = fallback;
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        snprintf(error, error_size, "%s", dlerror());
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        symbols[i] = dlsym(handle, names[i]);
        if (!symbols[i]) {
            snprintf(error, error_size, "%s has no symbol %s (not %s)", path, names[i], what);
            dlclose(handle);
            return -1;
        }
    }
    *library = handle;
    return 0;
}
