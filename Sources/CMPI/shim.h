#ifndef MASHUP_CMPI_SHIM_H
#define MASHUP_CMPI_SHIM_H

// Open MPI, optional: with libopenmpi-dev installed (pkg-config "ompi", `make deps`), these
// wrappers call MPI; without it (or built with -Xcc -DMASHUP_NO_MPI) they are stubs,
// mm_mpi_available() is 0, and mashup runs as one process. Swift calls only these wrappers:
// MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM) are macros Swift cannot import, and the
// stubs keep the build free of MPI.
//
// Every call returns an MPI error code (0 = MPI_SUCCESS). The job keeps MPI's default error
// handler, MPI_ERRORS_ARE_FATAL: a failed collective ends every rank instead of hanging one.

#include <limits.h>
#include <stddef.h>
#include <stdlib.h>

enum { MM_MPI_SUM = 0, MM_MPI_MAX = 1, MM_MPI_MIN = 2 };

#if !defined(MASHUP_NO_MPI) && __has_include(<mpi.h>)
#include <mpi.h>

static inline int mm_mpi_available(void) { return 1; }

static inline int mm_mpi_initialized(void) {
    int started = 0, ended = 0;
    MPI_Initialized(&started);
    MPI_Finalized(&ended);
    return started && !ended;
}

/// MPI_Init_thread asking for MPI_THREAD_FUNNELED: only the main thread calls MPI.
static inline int mm_mpi_init(void) {
    if (mm_mpi_initialized()) return MPI_SUCCESS;
    int provided = 0;
    return MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
}

static inline int mm_mpi_finalize(void) { return mm_mpi_initialized() ? MPI_Finalize() : MPI_SUCCESS; }

static inline int mm_mpi_rank(void) {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
}

static inline int mm_mpi_size(void) {
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    return size;
}

static inline MPI_Op mm_mpi_op(int op) { return op == MM_MPI_MAX ? MPI_MAX : op == MM_MPI_MIN ? MPI_MIN : MPI_SUM; }

/// In place, over every rank; counts beyond INT_MAX go in pieces.
static inline int mm_mpi_allreduce(void *data, size_t count, MPI_Datatype type, size_t bytes, int op) {
    char *at = (char *)data;
    while (count > 0) {
        int n = count > (size_t)INT_MAX ? INT_MAX : (int)count;
        int rc = MPI_Allreduce(MPI_IN_PLACE, at, n, type, mm_mpi_op(op), MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return rc;
        at += (size_t)n * bytes;
        count -= (size_t)n;
    }
    return MPI_SUCCESS;
}

static inline int mm_mpi_allreduce_float(float *data, size_t count, int op) {
    return mm_mpi_allreduce(data, count, MPI_FLOAT, sizeof(float), op);
}

static inline int mm_mpi_allreduce_double(double *data, size_t count, int op) {
    return mm_mpi_allreduce(data, count, MPI_DOUBLE, sizeof(double), op);
}

/// Root's bytes to every rank; counts beyond INT_MAX go in pieces.
static inline int mm_mpi_broadcast(void *data, size_t count, int root) {
    char *bytes = (char *)data;
    while (count > 0) {
        int n = count > (size_t)INT_MAX ? INT_MAX : (int)count;
        int rc = MPI_Bcast(bytes, n, MPI_BYTE, root, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return rc;
        bytes += n;
        count -= (size_t)n;
    }
    return MPI_SUCCESS;
}

static inline int mm_mpi_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }

/// Starts an in-place sum, max or min of `count` floats over every rank without waiting for it;
/// `*request` receives a handle for mm_mpi_test and mm_mpi_wait (an MPI_Request on the heap,
/// so Swift holds a pointer whatever type the MPI library gives its handles).
static inline int mm_mpi_iallreduce_float(float *data, int count, int op, void **request) {
    MPI_Request *r = (MPI_Request *)malloc(sizeof *r);
    if (r == NULL) return MPI_ERR_NO_MEM;
    int rc = MPI_Iallreduce(MPI_IN_PLACE, data, count, MPI_FLOAT, mm_mpi_op(op), MPI_COMM_WORLD, r);
    if (rc != MPI_SUCCESS) {
        free(r);
        return rc;
    }
    *request = r;
    return MPI_SUCCESS;
}

/// Lets MPI move a started operation on (non-blocking collectives progress inside MPI calls);
/// *done becomes 1 once it has finished. The handle stays valid until mm_mpi_wait.
static inline int mm_mpi_test(void *request, int *done) {
    return MPI_Test((MPI_Request *)request, done, MPI_STATUS_IGNORE);
}

/// Waits for a started operation and frees its handle.
static inline int mm_mpi_wait(void *request) {
    int rc = MPI_Wait((MPI_Request *)request, MPI_STATUS_IGNORE);
    free(request);
    return rc;
}

/// In place, every rank's items to every rank: rank r has filled counts[r] items of
/// `item_bytes` bytes at displacements[r] items into `data`.
static inline int mm_mpi_allgatherv_items(void *data, int item_bytes, const int *counts, const int *displacements) {
    MPI_Datatype item;
    int rc = MPI_Type_contiguous(item_bytes, MPI_BYTE, &item);
    if (rc != MPI_SUCCESS) return rc;
    rc = MPI_Type_commit(&item);
    if (rc == MPI_SUCCESS) {
        rc = MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, data, counts, displacements, item, MPI_COMM_WORLD);
    }
    MPI_Type_free(&item);
    return rc;
}

/// Every rank's `count` bytes, in rank order, into `out` (size x count bytes) on every rank.
static inline int mm_mpi_allgather(const void *mine, int count, void *out) {
    return MPI_Allgather(mine, count, MPI_BYTE, out, count, MPI_BYTE, MPI_COMM_WORLD);
}

/// Ends every rank of the job with `code`.
static inline void mm_mpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

#else

static inline int mm_mpi_available(void) { return 0; }
static inline int mm_mpi_initialized(void) { return 0; }
static inline int mm_mpi_init(void) { return -1; }
static inline int mm_mpi_finalize(void) { return 0; }
static inline int mm_mpi_rank(void) { return 0; }
static inline int mm_mpi_size(void) { return 1; }
static inline int mm_mpi_allreduce_float(float *data, size_t count, int op) { (void)data; (void)count; (void)op; return 0; }
static inline int mm_mpi_allreduce_double(double *data, size_t count, int op) { (void)data; (void)count; (void)op; return 0; }
static inline int mm_mpi_broadcast(void *data, size_t count, int root) { (void)data; (void)count; (void)root; return 0; }
static inline int mm_mpi_barrier(void) { return 0; }
static inline int mm_mpi_iallreduce_float(float *data, int count, int op, void **request) {
    (void)data; (void)count; (void)op; *request = NULL; return 0;
}
static inline int mm_mpi_test(void *request, int *done) { (void)request; *done = 1; return 0; }
static inline int mm_mpi_wait(void *request) { (void)request; return 0; }
static inline int mm_mpi_allgather(const void *mine, int count, void *out) {
    (void)mine; (void)count; (void)out; return 0;
}
static inline int mm_mpi_allgatherv_items(void *data, int item_bytes, const int *counts, const int *displacements) {
    (void)data; (void)item_bytes; (void)counts; (void)displacements; return 0;
}
static inline void mm_mpi_abort(int code) { (void)code; }

#endif

#endif
