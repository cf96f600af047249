#pragma once
// Address translation of an application's accesses, from the geometry of the TLB model
// (models/tlb/cpu_tlb.h): each CPU has a first-level and a larger second-level TLB, both LRU,
// each entry translating one page of whatever size its folio is mapped with (a PMD-mapped
// 2 MiB folio takes one entry, a PTE-mapped one takes 512). The second level keeps what the
// first refills from it, so together they reach as far as the second level.
//
// The access patterns draw each access independently from fixed per-folio probabilities (the
// independent reference model). An LRU array of C entries then holds a translation of
// per-lookup probability p with probability 1 - exp(-p T), T the characteristic time solving
//   sum over translations (1 - exp(-p T)) = C        (Che's approximation),
// so its hit ratio is sum p (1 - exp(-p T)). A footprint of at most C translations stays
// whole: no misses after warm-up. The set-associative arrays of CpuTlb conflict a little more
// than this fully associative form (a test compares the two).
//
// `run` accesses in a row go to one page (spatial locality: 1 for random lines, a page's
// lines for a stream); only the first of a run looks the translation up past the first level.
//
// A miss walks the page table: with the upper levels in the page-walk caches, the walk reads
// the leaf entry (a PTE, or a PMD for a 2 MiB page), eight to a cache line. That line hits
// the data caches or comes from the node that holds the page tables. Which one follows from
// the same approximation over the cache share of one thread: the walks' leaf lines compete
// with the application's own lines for `cache_lines`.
#include <vector>

namespace models {

// `entries` translations, each looked up with probability `prob` per access.
struct TlbPages {
  double entries = 0;
  double prob = 0;
};

// Hit ratio of an LRU array of `capacity` entries under independent lookups with these
// probabilities (summing to 1): Che's approximation; 1 when the footprint fits.
double lru_hit_ratio(const std::vector<TlbPages>& pages, double capacity);

struct TlbReachInput {
  std::vector<TlbPages> pages;  // the footprint's translations (probabilities sum to 1)
  double l1_entries = 0, l2_entries = 0;
  double run = 1;               // accesses in a row to one page
  double cache_lines = 0;       // cache lines of one thread's share of the data caches
  std::vector<TlbPages> lines;  // the application's data lines (probabilities sum to 1)
  double entries_per_line = 8;  // leaf page-table entries per cache line
};

struct TlbReach {
  double l2_hits = 0;   // per access: first-level misses that hit the second level
  double walks = 0;     // per access: misses of both levels (page walks)
  double walk_mem = 0;  // per access: walks whose leaf entry is read from memory
  double entries = 0;   // translations in the footprint
};

TlbReach tlb_reach(const TlbReachInput& in);

}  // namespace models
