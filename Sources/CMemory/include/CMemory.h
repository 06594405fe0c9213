// glibc's allocator controls, which Swift's Glibc module does not bring (malloc.h).
#pragma once
#if defined(__linux__)
#include <malloc.h>
#endif

// Limits the allocator's arenas (0: glibc's default) and gives freed memory back to the
// system; both do nothing where the C library is not glibc.
int guatan_limit_arenas(int arenas);
int guatan_trim_memory(void);
