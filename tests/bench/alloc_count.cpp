// The benchmark binary's global operator new and delete: malloc and free, plus one relaxed
// atomic increment per allocation (negligible next to the allocation itself, and the same for
// every benchmark of the binary), so a benchmark can report allocations per event.
#include "tests/bench/alloc_count.h"

#include <atomic>
#include <cstdlib>
#include <new>

namespace bench_alloc_count {
namespace {
std::atomic<std::uint64_t> g_allocations{0};
void* counted_alloc(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
}  // namespace
std::uint64_t allocations() { return g_allocations.load(std::memory_order_relaxed); }
}  // namespace bench_alloc_count

// Not inlined: in a unity build the compiler would otherwise pair a caller's `new` with the
// `free` below and warn about a mismatch.
[[gnu::noinline]] void* operator new(std::size_t n) { return bench_alloc_count::counted_alloc(n); }
[[gnu::noinline]] void* operator new[](std::size_t n) {
  return bench_alloc_count::counted_alloc(n);
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
