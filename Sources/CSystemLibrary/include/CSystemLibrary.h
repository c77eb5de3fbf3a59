// CSystemLibrary: the one loader behind the bridges that open a system library at run time (CBLAS, CPNG).
//
// A bridge lists its entry points as an X-macro, X(return type, symbol, parameter list, argument list), and
// writes SYSTEM_LIBRARY_SYMBOLS(LIST) once: that defines, for each entry point, dl_<symbol> forwarding to the
// symbol found by SYSTEM_LIBRARY_OPEN, which its load function calls.
#ifndef CSYSTEMLIBRARY_H
#define CSYSTEMLIBRARY_H

#include <stddef.h>

/// Opens `path`, else the file named by $`variable`, else `fallback` (RTLD_NOW | RTLD_LOCAL: the library's symbols
/// stay out of the global namespace), and resolves names[i] into symbols[i] for every i < count. Returns 0 on
/// success, also when *library is open already; otherwise writes a one-line reason into `error`, naming `what`
/// when a symbol is missing, and leaves *library NULL.
int system_library_open(void **library, const char *path, const char *variable, const char *fallback,
                        const char *const *names, void **symbols, size_t count, const char *what,
                        char *error, size_t error_size);

#define SYSTEM_LIBRARY_INDEX(ret, name, params, args) system_library_index_##name,
#define SYSTEM_LIBRARY_NAME(ret, name, params, args) #name,
#define SYSTEM_LIBRARY_FORWARD(ret, name, params, args) \
    ret dl_##name params { return ((ret (*) params)system_library_symbols[system_library_index_##name]) args; }

#define SYSTEM_LIBRARY_SYMBOLS(FUNCTIONS) \
    enum { FUNCTIONS(SYSTEM_LIBRARY_INDEX) system_library_count }; \
    static const char *const system_library_names[] = { FUNCTIONS(SYSTEM_LIBRARY_NAME) }; \
    static void *system_library_symbols[system_library_count]; \
    static void *system_library_handle; \
    FUNCTIONS(SYSTEM_LIBRARY_FORWARD)

#define SYSTEM_LIBRARY_OPEN(path, variable, fallback, what, error, error_size) \
    system_library_open(&system_library_handle, path, variable, fallback, system_library_names, \
                        system_library_symbols, system_library_count, what, error, error_size)

#endif
