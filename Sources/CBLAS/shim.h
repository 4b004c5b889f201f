/* OpenBLAS's CBLAS interface (cblas_sgemm, ...) plus its thread-count extensions. */
#include <cblas.h>
