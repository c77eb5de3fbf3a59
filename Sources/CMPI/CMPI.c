#include "CMPI.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>

// A handle is a pointer in Open MPI's ABI and an int in MPICH's; both travel in one integer register on the
// platforms cltrain supports, but each flavour is still called through its own exact prototype.
typedef void *ompi_handle;
typedef int mpich_handle;

static void *library;
static cmpi_flavor flavor;
static int rank = -1, size = -1;
// MPI_Get_library_version writes up to MPI_MAX_LIBRARY_VERSION_STRING bytes: 256 in Open MPI, 8192 in MPICH
// (its full configure line), so the buffer takes the larger; a smaller one lets MPICH overwrite what follows it.
static char version[8192];

static int (*mpi_init)(int *, char ***);
static int (*mpi_finalize)(void);
static int (*mpi_get_library_version)(char *, int *);
static union { int (*ompi)(ompi_handle, int *); int (*mpich)(mpich_handle, int *); } mpi_comm_rank, mpi_comm_size;
static union { int (*ompi)(ompi_handle); int (*mpich)(mpich_handle); } mpi_barrier;
static union { int (*ompi)(ompi_handle, int); int (*mpich)(mpich_handle, int); } mpi_abort;
static union {
    int (*ompi)(const void *, void *, int, ompi_handle, ompi_handle, ompi_handle);
    int (*mpich)(const void *, void *, int, mpich_handle, mpich_handle, mpich_handle);
} mpi_allreduce;

// Open MPI: the addresses of its predefined objects (mpi.h's OMPI_PREDEFINED_GLOBAL); MPI_IN_PLACE is (void *)1.
static ompi_handle ompi_comm_world, ompi_float, ompi_double, ompi_sum, ompi_max;
// MPICH (mpi.h of MPICH 3 and 4, also Intel MPI and MVAPICH): fixed values; MPI_IN_PLACE is (void *)-1.
enum {
    MPICH_COMM_WORLD = 0x44000000, MPICH_FLOAT = 0x4c00040a, MPICH_DOUBLE = 0x4c00080b,
    MPICH_SUM = 0x58000003, MPICH_MAX = 0x58000001,
};

static void *resolve(const char *name, char *error, size_t error_size, const char *path) {
    void *symbol = dlsym(library, name);
    if (!symbol) snprintf(error, error_size, "%s has no symbol %s", path, name);
    return symbol;
}

int cmpi_open(const char *path, cmpi_flavor wanted, char *error, size_t error_size) {
    if (library) return 0;
    void *handle = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!handle) {
        snprintf(error, error_size, "%s", dlerror());
        return -1;
    }
    library = handle;
    flavor = wanted;
#define RESOLVE(target, name) if (!(*(void **)&(target) = resolve(name, error, error_size, path))) goto fail
    RESOLVE(mpi_init, "MPI_Init");
    RESOLVE(mpi_finalize, "MPI_Finalize");
    RESOLVE(mpi_get_library_version, "MPI_Get_library_version");
    RESOLVE(mpi_comm_rank, "MPI_Comm_rank");
    RESOLVE(mpi_comm_size, "MPI_Comm_size");
    RESOLVE(mpi_barrier, "MPI_Barrier");
    RESOLVE(mpi_abort, "MPI_Abort");
    RESOLVE(mpi_allreduce, "MPI_Allreduce");
    if (flavor == CMPI_OPEN_MPI) {
        RESOLVE(ompi_comm_world, "ompi_mpi_comm_world");
        RESOLVE(ompi_float, "ompi_mpi_float");
        RESOLVE(ompi_double, "ompi_mpi_double");
        RESOLVE(ompi_sum, "ompi_mpi_op_sum");
        RESOLVE(ompi_max, "ompi_mpi_op_max");
    }
#undef RESOLVE
    int length = 0;
    if (mpi_get_library_version(version, &length) != 0) version[0] = 0;
    return 0;
fail:
    dlclose(library);
    library = NULL;
    return -1;
}

int cmpi_init(void) {
    int status = mpi_init(NULL, NULL);
    if (status != 0) return status;
    if (flavor == CMPI_OPEN_MPI) {
        mpi_comm_rank.ompi(ompi_comm_world, &rank);
        return mpi_comm_size.ompi(ompi_comm_world, &size);
    }
    mpi_comm_rank.mpich(MPICH_COMM_WORLD, &rank);
    return mpi_comm_size.mpich(MPICH_COMM_WORLD, &size);
}

int cmpi_rank(void) { return rank; }
int cmpi_size(void) { return size; }

static int allreduce(void *values, int count, ompi_handle ompi_type, mpich_handle mpich_type, ompi_handle ompi_op,
                     mpich_handle mpich_op) {
    if (flavor == CMPI_OPEN_MPI) return mpi_allreduce.ompi((void *)1, values, count, ompi_type, ompi_op, ompi_comm_world);
    return mpi_allreduce.mpich((void *)-1, values, count, mpich_type, mpich_op, MPICH_COMM_WORLD);
}

int cmpi_allreduce_sum_float(float *values, int count) {
    return allreduce(values, count, ompi_float, MPICH_FLOAT, ompi_sum, MPICH_SUM);
}

int cmpi_allreduce_sum_double(double *values, int count) {
    return allreduce(values, count, ompi_double, MPICH_DOUBLE, ompi_sum, MPICH_SUM);
}

int cmpi_allreduce_max_double(double *values, int count) {
    return allreduce(values, count, ompi_double, MPICH_DOUBLE, ompi_max, MPICH_MAX);
}

int cmpi_barrier(void) {
    return flavor == CMPI_OPEN_MPI ? mpi_barrier.ompi(ompi_comm_world) : mpi_barrier.mpich(MPICH_COMM_WORLD);
}

void cmpi_abort(int code) {
    if (flavor == CMPI_OPEN_MPI) mpi_abort.ompi(ompi_comm_world, code);
    else mpi_abort.mpich(MPICH_COMM_WORLD, code);
}

int cmpi_finalize(void) { return mpi_finalize(); }

const char *cmpi_library_version(void) { return version; }
