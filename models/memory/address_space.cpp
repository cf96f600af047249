#include "models/memory/address_space.h"

#include "sim/error.h"

namespace models {

std::uint64_t folio_translations(std::uint64_t folio_bytes) {
  constexpr std::uint64_t kPmd = 2ULL << 20, kPud = 1ULL << 30;
  if (folio_bytes >= kPud) return folio_bytes / kPud;
  if (folio_bytes >= kPmd) return folio_bytes / kPmd;
  return folio_bytes / kBasePage;
}

long AddressSpace::map(std::uint64_t count, std::uint64_t folio_bytes, int node, bool huge_mapped) {
  HETSIM_CHECK(folio_bytes >= kBasePage && folio_bytes % kBasePage == 0,
               "folio size not a page multiple");
  HETSIM_CHECK(!huge_mapped || huge_mappable(folio_bytes),
               "only 2 MiB and 1 GiB folios can be mapped by one entry");
  if (!mem_.reserve(node, count * folio_bytes)) return -1;
  long first = static_cast<long>(folios_.size());
  folios_.resize(folios_.size() + count,
                 Folio{static_cast<std::uint32_t>(folio_bytes / kBasePage), node, huge_mapped});
  return first;
}

std::uint64_t AddressSpace::bytes_on(int node, std::size_t first, std::size_t count) const {
  std::uint64_t b = 0;
  for (std::size_t i = first; i < first + count; ++i)
    if (folios_[i].node == node) b += folios_[i].bytes();
  return b;
}

void AddressSpace::complete_move(std::size_t i, int dst) {
  Folio& f = folios_[i];
  mem_.release(f.node, f.bytes());
  f.node = dst;
}

}  // namespace models
