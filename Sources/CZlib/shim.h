/* zlib's inflate API, used by the Data module to read gzip-compressed dataset files. */
#include <zlib.h>
