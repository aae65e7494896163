// zlib's inflate, for gzip-compressed layers (Debian's zlib1g-dev).
#include <zlib.h>
