#pragma once
// Heap allocations counted in the benchmark binary (alloc_count.cpp replaces the global
// operator new): the number made so far by every thread.
#include <cstdint>

namespace bench_alloc_count {
std::uint64_t allocations();
}  // namespace bench_alloc_count
