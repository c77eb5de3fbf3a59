// CBLAS: the few OpenBLAS entry points the native CPU path (--cpu) uses, loaded at run time.
//
// libopenblas.so.0 is opened with dlopen instead of being linked, so cltrain starts on a machine without
// OpenBLAS (a GPU machine needs none) and `--cpu` can say what to install. Each dl_<name> forwards to the
// symbol <name> found by dl_load_openblas(). <cblas.h> is included for its types and constants only.
#ifndef CBLAS_BRIDGE_H
#define CBLAS_BRIDGE_H

#include <cblas.h>
#include <stddef.h>

// X(return type, symbol, parameter list, argument list)
#define CBLAS_FUNCTIONS(X) \
    X(void, cblas_sgemm, (enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE transpose_a, \
      enum CBLAS_TRANSPOSE transpose_b, blasint m, blasint n, blasint k, float alpha, const float *a, blasint lda, \
      const float *b, blasint ldb, float beta, float *c, blasint ldc), \
      (order, transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)) \
    X(int, openblas_get_num_threads, (void), ()) \
    X(void, openblas_set_num_threads, (int threads), (threads)) \
    X(char *, openblas_get_corename, (void), ())

#define CBLAS_DECLARE(ret, name, params, args) ret dl_##name params;
CBLAS_FUNCTIONS(CBLAS_DECLARE)
#undef CBLAS_DECLARE

/// Opens OpenBLAS and resolves every entry point above. `path` may be NULL: then $CLTRAIN_OPENBLAS_LIBRARY,
/// else libopenblas.so.0, is opened. Returns 0 on success (also when already loaded); otherwise writes a
/// one-line reason into `error`.
int dl_load_openblas(const char *path, char *error, size_t error_size);

/// 1 once dl_load_openblas() has succeeded, else 0.
int dl_openblas_loaded(void);

/// Another symbol of the loaded OpenBLAS (NULL when it has none or none is loaded), for its internals that
/// kernel selection reaches (`gotoblas`, `gotoblas_dynamic_init`).
void *dl_openblas_symbol(const char *name);

#endif
