// The native CPU path's matrix products go through OpenBLAS (Debian: libopenblas-dev).
#include <cblas.h>
