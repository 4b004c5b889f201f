/* OpenBLAS's CBLAS interface (cblas_sgemm, ...) plus its thread-count extensions. */
#include <cblas.h>
/* glibc's mallopt, to keep the engine's large, short-lived buffers in the heap (see ComputeThreads). */
#include <malloc.h>
