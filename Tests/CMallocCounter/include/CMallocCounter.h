#ifndef CMALLOC_COUNTER_H
#define CMALLOC_COUNTER_H

// Counts the heap allocations of the calling thread, for a probe that checks
// that code allocates nothing. Linked into an executable, the C file beside
// this header replaces malloc and its relatives for the whole process.

/// Sets the calling thread's allocation count to zero.
void cmalloc_counter_reset(void);

/// The calls the calling thread made to malloc, calloc, realloc,
/// reallocarray, posix_memalign, aligned_alloc, memalign, valloc or pvalloc
/// since it last reset the count (or started).
unsigned long long cmalloc_counter_read(void);

#endif
