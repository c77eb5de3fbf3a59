// CMPI: the few MPI calls data-parallel training makes, with the MPI library loaded at run time.
//
// cltrain opens libmpi with dlopen instead of linking it, so the binary builds and runs where no MPI is installed
// and only a run under mpirun needs one. MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, MPI_IN_PLACE) are
// macros that Swift cannot import and whose values differ by ABI: Open MPI's are the addresses of predefined
// objects in libmpi, MPICH's are fixed integers. This shim resolves them once for the flavour that was loaded, so
// the Swift side calls typed functions and never sees a handle.
#ifndef CMPI_H
#define CMPI_H

#include <stddef.h>

/// The MPI implementations whose ABI the shim knows.
typedef enum { CMPI_OPEN_MPI = 0, CMPI_MPICH = 1 } cmpi_flavor;

/// Opens `path` (dlopen, RTLD_GLOBAL: Open MPI's own plug-ins resolve symbols of libmpi) and resolves the entry
/// points and handles of `flavor`. Returns 0 on success (also when already open); otherwise writes a one-line
/// reason into `error`.
int cmpi_open(const char *path, cmpi_flavor flavor, char *error, size_t error_size);

/// MPI_Init. Returns MPI's error code (0 is MPI_SUCCESS).
int cmpi_init(void);
/// This process's rank and the number of ranks in MPI_COMM_WORLD; -1 before cmpi_init.
int cmpi_rank(void);
int cmpi_size(void);
/// In-place MPI_Allreduce over MPI_COMM_WORLD: every rank ends with the element-wise sum (or maximum).
int cmpi_allreduce_sum_float(float *values, int count);
int cmpi_allreduce_sum_double(double *values, int count);
int cmpi_allreduce_max_double(double *values, int count);
/// MPI_Barrier over MPI_COMM_WORLD.
int cmpi_barrier(void);
/// MPI_Abort over MPI_COMM_WORLD: ends every rank of the job with `code`.
void cmpi_abort(int code);
/// MPI_Finalize.
int cmpi_finalize(void);
/// MPI_Get_library_version's text, or "" before cmpi_open.
const char *cmpi_library_version(void);

#endif
