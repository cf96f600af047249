#pragma once
// A process's memory: folios of 4 KiB to 1 GiB (power-of-two multiples of the base page),
// each on one memory node, and the CPUs its threads run on (the mm cpumask that a TLB
// shootdown must reach). Placing a folio takes capacity on its node.
#include <cstdint>
#include <string>
#include <vector>

#include "models/memory/node_memory.h"

namespace models {

inline constexpr std::uint64_t kBasePage = 4096;

// Translations one folio occupies: PTEs below 2 MiB, PMDs up to 1 GiB, PUDs above.
std::uint64_t folio_translations(std::uint64_t folio_bytes);

// A folio's mapping: a PMD-mapped THP (or a PUD-mapped 1 GiB page) is one page-table entry,
// unmapped with one migration entry and restored with one (mm/huge_memory.c
// set_pmd_migration_entry / remove_migration_pmd); a PTE-mapped large folio (mTHP, or a THP
// whose PMD was split) has one entry per base page, each unmapped and restored on its own.
struct Folio {
  std::uint32_t pages;  // base pages (1 .. 262144)
  std::int32_t node;
  bool huge_mapped = false;  // one PMD/PUD entry instead of `pages` PTEs
  std::uint64_t bytes() const { return static_cast<std::uint64_t>(pages) * kBasePage; }
  // Page-table entries the folio is mapped by (what unmap and remap walk).
  std::uint32_t entries() const { return huge_mapped ? 1u : pages; }
};

// Whether a folio of this size can be mapped by one PMD or PUD entry.
inline bool huge_mappable(std::uint64_t folio_bytes) {
  return folio_bytes == (2ULL << 20) || folio_bytes == (1ULL << 30);
}

class AddressSpace {
 public:
  AddressSpace(std::string name, NodeMemory& mem, std::vector<int> cpumask)
      : name_(std::move(name)), mem_(mem), cpumask_(std::move(cpumask)) {}

  const std::string& name() const { return name_; }
  const std::vector<int>& cpumask() const { return cpumask_; }
  // Maps `count` folios of `folio_bytes` on `node` (by one PMD/PUD entry each when
  // `huge_mapped`, else by PTEs); returns the index of the first, or -1 (nothing mapped)
  // when the node lacks the capacity.
  long map(std::uint64_t count, std::uint64_t folio_bytes, int node, bool huge_mapped = false);
  std::size_t size() const { return folios_.size(); }
  const Folio& folio(std::size_t i) const { return folios_[i]; }
  // Bytes currently on `node` among folios [first, first + count).
  std::uint64_t bytes_on(int node, std::size_t first, std::size_t count) const;

  // The migration protocol: reserve the destination, then (after the copy) move the folio
  // and free its source. A failed reservation leaves the folio in place.
  bool reserve_destination(std::size_t i, int dst) { return mem_.reserve(dst, folios_[i].bytes()); }
  void complete_move(std::size_t i, int dst);

 private:
  std::string name_;
  NodeMemory& mem_;
  std::vector<int> cpumask_;
  std::vector<Folio> folios_;
};

}  // namespace models
