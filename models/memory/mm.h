#pragma once
// The memory-management model: one address space per process (the kernel's struct
// mm_struct), kept by one registry per run.
//
// An `Mm` holds
// * its folios: 4 KiB to 1 GiB (power-of-two multiples of the base page), each on one memory
//   node, at a virtual address aligned to its size, mapped by one PMD/PUD entry or by PTEs;
//   placing a folio takes capacity on its node (NodeMemory);
// * the CPUs that may cache its translations (mm_cpumask: a CPU joins when it switches to
//   the mm and is not removed at switch-out, so the mask over-approximates) and its PCID;
// * its flush generation (tlb_gen, bumped by every flush) and, per CPU, the generation that
//   CPU's TLB reflects (cpu_tlbstate.ctxs[].tlb_gen), after arch/x86/mm/tlb.c;
// * per folio, access state: the accessed bit (cleared by a scanner, as folio_referenced /
//   page_idle do), the time of the last access and an access count.
// The registry also knows which mm each CPU has loaded (cpu_tlbstate.loaded_mm).
//
// Migration moves folios between nodes and flushes their translations through the TLB
// model (models/tlb/shootdown.h) naming the mm; munmap storms, page faults and DMA mappings
// (as the PASID of an IOMMU mapping) use the same objects.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sim/run_context.h"
#include "sim/time.h"

namespace models {

inline constexpr std::uint64_t kBasePage = 4096;

// Translations one folio occupies: PTEs below 2 MiB, PMDs up to 1 GiB, PUDs above.
std::uint64_t folio_translations(std::uint64_t folio_bytes);

// Whether a folio of this size can be mapped by one PMD or PUD entry.
inline bool huge_mappable(std::uint64_t folio_bytes) {
  return folio_bytes == (2ULL << 20) || folio_bytes == (1ULL << 30);
}

// What a tiering scanner reads: the accessed bit and when and how often the folio was used.
struct FolioAccess {
  bool accessed = false;
  sim::Tick last = 0;
  std::uint64_t count = 0;
};

// A folio's mapping: a PMD-mapped THP (or a PUD-mapped 1 GiB page) is one page-table entry,
// unmapped with one migration entry and restored with one (mm/huge_memory.c
// set_pmd_migration_entry / remove_migration_pmd); a PTE-mapped large folio (mTHP, or a THP
// whose PMD was split) has one entry per base page, each unmapped and restored on its own.
struct Folio {
  std::uint32_t pages;  // base pages (1 .. 262144)
  std::int32_t node;
  bool huge_mapped = false;  // one PMD/PUD entry instead of `pages` PTEs
  std::uint64_t va = 0;      // first base page of its virtual range (aligned to its size)
  FolioAccess access;
  std::uint64_t bytes() const { return static_cast<std::uint64_t>(pages) * kBasePage; }
  // Page-table entries the folio is mapped by (what unmap and remap walk).
  std::uint32_t entries() const { return huge_mapped ? 1u : pages; }
  // Size of the pages its TLB entries translate: 12 (4 KiB), 21 (2 MiB) or 30 (1 GiB).
  int page_shift() const { return !huge_mapped ? 12 : pages == (1u << 18) ? 30 : 21; }
  // Its first virtual page in units of 2^page_shift().
  std::uint64_t first_vpn() const { return va >> (page_shift() - 12); }
};

class Mm {
 public:
  Mm(sim::RunContext* ctx, int id, std::string name, int ncpus);

  int id() const { return id_; }
  int pcid() const { return id_; }  // the id doubles as PCID (and as PASID for devices)
  const std::string& name() const { return name_; }

  // --- folios ---
  // Maps `count` folios of `folio_bytes` on `node` (by one PMD/PUD entry each when
  // `huge_mapped`, else by PTEs) at the next free virtual range aligned to the folio size;
  // returns the index of the first, or -1 (nothing mapped) when the node lacks the capacity.
  long map(std::uint64_t count, std::uint64_t folio_bytes, int node, bool huge_mapped = false);
  // The same, each folio on the first node of `node`'s zonelist that stays above its
  // watermarks (NodeMemory::reserve_fallback: allocation falling back to the next node by
  // distance); -1 (nothing mapped) when some folio fits on none.
  long map_preferred(std::uint64_t count, std::uint64_t folio_bytes, int node,
                     bool huge_mapped = false);
  std::size_t size() const { return folios_.size(); }
  const Folio& folio(std::size_t i) const { return folios_[i]; }
  // Bytes currently on `node` among folios [first, first + count).
  std::uint64_t bytes_on(int node, std::size_t first, std::size_t count) const;
  // The migration protocol: reserve the destination, then (after the copy) move the folio
  // and free its source. A failed reservation leaves the folio in place.
  bool reserve_destination(std::size_t i, int dst);
  void complete_move(std::size_t i, int dst);
  // Whether a folio is being moved (by a tiering policy or by reclaim): it is isolated from
  // the LRU, so no other mover takes it.
  bool in_flight(std::size_t i) const { return i < in_flight_.size() && in_flight_[i] != 0; }
  void set_in_flight(std::size_t i, bool on) {
    in_flight_.resize(folios_.size(), 0);
    in_flight_[i] = on ? 1 : 0;
  }
  // Who to tell that folios moved by a mover that does not know the process (kswapd): the
  // process re-solves its rates.
  void set_placement_listener(std::function<void()> l) { placement_listener_ = std::move(l); }
  void placement_changed() {
    if (placement_listener_) placement_listener_();
  }

  // --- access state ---
  // A use of folio i at `now`: sets its accessed bit, its last access time and count.
  void note_access(std::size_t i, sim::Tick now);
  // Reads and clears the accessed bit (folio_referenced / a tiering scanner's pass).
  bool test_and_clear_accessed(std::size_t i);

  // --- CPUs that may cache its translations ---
  void add_cpu(int cpu);
  bool in_mask(int cpu) const {
    const auto c = static_cast<std::size_t>(cpu);
    return c < mask_.size() && mask_[c] != 0;
  }
  // Calls f(cpu) for each CPU of the mm cpumask, in CPU order (as for_each_cpu walks it).
  template <class F>
  void for_each_cpu(F&& f) const {
    for (std::size_t c = 0; c < mask_.size(); ++c)
      if (mask_[c]) f(static_cast<int>(c));
  }
  // The number of CPUs in the mm cpumask.
  std::size_t cpumask_weight() const;

  // --- flush generations ---
  std::uint64_t gen() const { return gen_; }
  std::uint64_t bump() { return ++gen_; }  // inc_mm_tlb_gen
  std::uint64_t local_gen(int cpu) const {
    const auto c = static_cast<std::size_t>(cpu);
    return c < local_.size() ? local_[c] : 0;
  }
  void set_local_gen(int cpu, std::uint64_t g);

 private:
  void check_map(std::uint64_t folio_bytes, bool huge_mapped) const;  // map's preconditions
  sim::RunContext* ctx_;  // for the node accounting, taken on the first map
  int id_;
  std::string name_;
  std::vector<Folio> folios_;
  std::vector<char> in_flight_;
  std::function<void()> placement_listener_;
  std::uint64_t next_va_;  // in base pages
  int ncpus_;
  // Per CPU, allocated when first written (an mm no CPU has run costs nothing per CPU).
  std::vector<char> mask_;
  std::vector<std::uint64_t> local_;
  std::uint64_t gen_ = 0;
};

// The run's address spaces, and which one each CPU has loaded.
class MmRegistry {
 public:
  // The run's registry, created on first use.
  static MmRegistry& of(sim::RunContext& ctx);
  MmRegistry(sim::RunContext* ctx, int ncpus);

  // A new address space; its id (and PCID) is its index in creation order.
  Mm& create(std::string name = "");
  int count() const { return static_cast<int>(mms_.size()); }
  bool valid(int id) const { return id >= 0 && id < count(); }
  Mm& get(int id) { return *mms_[static_cast<std::size_t>(id)]; }
  const Mm& get(int id) const { return *mms_[static_cast<std::size_t>(id)]; }
  int cpu_count() const { return ncpus_; }

  // The mm loaded on `cpu` (-1: none, or a process the model does not track).
  int loaded(int cpu) const { return loaded_[static_cast<std::size_t>(cpu)]; }
  // switch_mm: `cpu` now runs `mm` (-1: an untracked process), and joins its cpumask.
  void set_loaded(int cpu, int mm);

 private:
  sim::RunContext* ctx_;
  int ncpus_;
  std::vector<int> loaded_;
  std::vector<std::unique_ptr<Mm>> mms_;
};

}  // namespace models
