// Counting replacements for the global allocation functions of bench_micro, so every benchmark can
// report heap allocations per operation. operator new (every form) is counted; outside sanitizer
// builds malloc, calloc and realloc are too, by forwarding to glibc's own entry points, because the C
// libraries on the packet path (libsrtp2 and the NSS it is built on) allocate with malloc. The count
// is thread-local: only the benchmark's own thread is measured, without atomic operations.
#include "bench/micro/allocation_counter.h"

#include <cstdlib>
#include <new>

// GCC cannot see that these replacements pair malloc with free throughout.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#if defined(__SANITIZE_ADDRESS__)
#define SFU_BENCH_COUNT_MALLOC 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SFU_BENCH_COUNT_MALLOC 0
#endif
#endif
#ifndef SFU_BENCH_COUNT_MALLOC
#define SFU_BENCH_COUNT_MALLOC 1
#endif

namespace {
constinit thread_local uint64_t t_allocations = 0;
}  // namespace

namespace sfu::bench {
bool counts_c_allocations() { return SFU_BENCH_COUNT_MALLOC != 0; }
uint64_t allocation_count() { return t_allocations; }
}  // namespace sfu::bench

#if SFU_BENCH_COUNT_MALLOC
// glibc's allocator under its internal names; free() needs no replacement, the allocator is the same.
// NOLINTBEGIN(bugprone-reserved-identifier): these are glibc's own exported names, declared to call them
extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* p, std::size_t size);
// NOLINTEND(bugprone-reserved-identifier)

void* malloc(std::size_t size) noexcept {
  ++t_allocations;
  return __libc_malloc(size);
}
void* calloc(std::size_t count, std::size_t size) noexcept {
  ++t_allocations;
  return __libc_calloc(count, size);
}
void* realloc(void* p, std::size_t size) noexcept {
  ++t_allocations;
  return __libc_realloc(p, size);
}
}
#endif

namespace {

// operator new goes through malloc, which counts itself when it is replaced.
void* counted_new(std::size_t size) {
  if (!SFU_BENCH_COUNT_MALLOC) ++t_allocations;
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}

// aligned_alloc is not replaced, so aligned operator new always counts here.
void* counted_aligned_new(std::size_t size, std::align_val_t alignment) {
  ++t_allocations;
  auto align = static_cast<std::size_t>(alignment);
  std::size_t rounded = (size + align - 1) / align * align;  // aligned_alloc wants a multiple
  if (void* p = std::aligned_alloc(align, rounded ? rounded : align)) return p;
  throw std::bad_alloc();
}

}  // namespace

void* operator new(std::size_t size) { return counted_new(size); }
void* operator new[](std::size_t size) { return counted_new(size); }
void* operator new(std::size_t size, std::align_val_t alignment) {
  return counted_aligned_new(size, alignment);
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
  return counted_aligned_new(size, alignment);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
