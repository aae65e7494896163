// libzstd's streaming decompression, for zstd-compressed layers (Debian's libzstd-dev).
#include <zstd.h>
