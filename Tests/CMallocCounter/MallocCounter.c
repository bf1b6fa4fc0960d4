// A malloc counter by interposition: an executable that links this file
// defines malloc and its relatives itself, and the dynamic linker binds every
// shared library's calls (the Swift runtime's, libc's, libstdc++'s) to the
// executable's definitions before libc's. Each forwards to glibc's allocator
// through its `__libc_` entry points, so memory stays glibc's and its own
// `free` releases it; `free` is not replaced.
//
// The count is per thread: the probe measures code on its own thread, and
// another thread of the process (none is expected) must not make a
// measurement fail. A `__thread` variable of the executable sits in static
// TLS, so reading it never allocates, not even on a new thread.
//
// Linux and glibc only; never link it into a library or the test bundle.
#include "CMallocCounter.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

static __thread unsigned long long allocations;

void cmalloc_counter_reset(void) { allocations = 0; }

unsigned long long cmalloc_counter_read(void) { return allocations; }

void *malloc(size_t size) {
    allocations += 1;
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    allocations += 1;
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    allocations += 1;
    return __libc_realloc(pointer, size);
}

void *reallocarray(void *pointer, size_t count, size_t size) {
    allocations += 1;
    size_t total;
    if (__builtin_mul_overflow(count, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_realloc(pointer, total);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    allocations += 1;
    // The checks glibc's own posix_memalign makes, with its answers.
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0 || alignment == 0) return EINVAL;
    void *memory = __libc_memalign(alignment, size);
    if (memory == NULL) return ENOMEM;
    *result = memory;
    return 0;
}

void *aligned_alloc(size_t alignment, size_t size) {
    allocations += 1;
    return __libc_memalign(alignment, size);
}

void *memalign(size_t alignment, size_t size) {
    allocations += 1;
    return __libc_memalign(alignment, size);
}

void *valloc(size_t size) {
    allocations += 1;
    return __libc_valloc(size);
}

void *pvalloc(size_t size) {
    allocations += 1;
    return __libc_pvalloc(size);
}
