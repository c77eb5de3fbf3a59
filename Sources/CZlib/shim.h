// gzip-compressed IDX files are inflated with zlib (Debian: zlib1g-dev).
#include <zlib.h>
