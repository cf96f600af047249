#include "models/memory/mm.h"

#include "models/machine/machine.h"
#include "models/memory/node_memory.h"
#include "sim/error.h"

namespace models {

std::uint64_t folio_translations(std::uint64_t folio_bytes) {
  constexpr std::uint64_t kPmd = 2ULL << 20, kPud = 1ULL << 30;
  if (folio_bytes >= kPud) return folio_bytes / kPud;
  if (folio_bytes >= kPmd) return folio_bytes / kPmd;
  return folio_bytes / kBasePage;
}

// User mappings start at 1 GiB, so that every folio size can be aligned from the start.
static constexpr std::uint64_t kFirstVa = (1ULL << 30) / kBasePage;

Mm::Mm(sim::RunContext* ctx, int id, std::string name, int ncpus)
    : ctx_(ctx), id_(id), name_(std::move(name)), next_va_(kFirstVa), ncpus_(ncpus) {}

void Mm::check_map(std::uint64_t folio_bytes, bool huge_mapped) const {
  HETSIM_CHECK(folio_bytes >= kBasePage && folio_bytes % kBasePage == 0,
               "folio size not a page multiple");
  HETSIM_CHECK(!huge_mapped || huge_mappable(folio_bytes),
               "only 2 MiB and 1 GiB folios can be mapped by one entry");
  HETSIM_CHECK(ctx_ != nullptr, "an address space without a run cannot place folios");
}

long Mm::map(std::uint64_t count, std::uint64_t folio_bytes, int node, bool huge_mapped) {
  check_map(folio_bytes, huge_mapped);
  if (!NodeMemory::of(*ctx_).reserve(node, count * folio_bytes)) return -1;
  const std::uint64_t pages = folio_bytes / kBasePage;
  next_va_ = (next_va_ + pages - 1) / pages * pages;  // natural alignment, as THPs need
  long first = static_cast<long>(folios_.size());
  folios_.reserve(folios_.size() + count);
  for (std::uint64_t k = 0; k < count; ++k) {
    folios_.push_back(Folio{static_cast<std::uint32_t>(pages), node, huge_mapped, next_va_, {}});
    next_va_ += pages;
  }
  return first;
}

long Mm::map_preferred(std::uint64_t count, std::uint64_t folio_bytes, int node, bool huge_mapped) {
  check_map(folio_bytes, huge_mapped);
  NodeMemory& mem = NodeMemory::of(*ctx_);
  const std::uint64_t pages = folio_bytes / kBasePage;
  const std::uint64_t va0 = next_va_;
  next_va_ = (next_va_ + pages - 1) / pages * pages;
  const long first = static_cast<long>(folios_.size());
  folios_.reserve(folios_.size() + count);
  for (std::uint64_t k = 0; k < count; ++k) {
    const int at = mem.reserve_fallback(node, folio_bytes);
    if (at < 0) {  // undo: nothing mapped
      while (static_cast<long>(folios_.size()) > first) {
        mem.release(folios_.back().node, folios_.back().bytes());
        folios_.pop_back();
      }
      next_va_ = va0;
      return -1;
    }
    folios_.push_back(Folio{static_cast<std::uint32_t>(pages), at, huge_mapped, next_va_, {}});
    next_va_ += pages;
  }
  return first;
}

std::uint64_t Mm::bytes_on(int node, std::size_t first, std::size_t count) const {
  std::uint64_t b = 0;
  for (std::size_t i = first; i < first + count; ++i)
    if (folios_[i].node == node) b += folios_[i].bytes();
  return b;
}

bool Mm::reserve_destination(std::size_t i, int dst) {
  return NodeMemory::of(*ctx_).reserve(dst, folios_[i].bytes());
}

void Mm::complete_move(std::size_t i, int dst) {
  Folio& f = folios_[i];
  NodeMemory::of(*ctx_).release(f.node, f.bytes());
  f.node = dst;
}

void Mm::note_access(std::size_t i, sim::Tick now) {
  FolioAccess& a = folios_[i].access;
  a.accessed = true;
  a.last = now;
  ++a.count;
}

bool Mm::test_and_clear_accessed(std::size_t i) {
  FolioAccess& a = folios_[i].access;
  const bool was = a.accessed;
  a.accessed = false;
  return was;
}

void Mm::add_cpu(int cpu) {
  HETSIM_CHECK(cpu >= 0 && cpu < ncpus_, "CPU out of range");
  mask_.resize(static_cast<std::size_t>(ncpus_), 0);
  mask_[static_cast<std::size_t>(cpu)] = 1;
}

void Mm::set_local_gen(int cpu, std::uint64_t g) {
  HETSIM_CHECK(cpu >= 0 && cpu < ncpus_, "CPU out of range");
  local_.resize(static_cast<std::size_t>(ncpus_), 0);
  local_[static_cast<std::size_t>(cpu)] = g;
}

std::size_t Mm::cpumask_weight() const {
  std::size_t n = 0;
  for (char m : mask_) n += m != 0;
  return n;
}

MmRegistry& MmRegistry::of(sim::RunContext& ctx) {
  if (auto* r = ctx.find<MmRegistry>()) return *r;
  auto* r = ctx.keep(std::make_unique<MmRegistry>(&ctx, Machine::of(ctx).cpu_count()));
  ctx.provide<MmRegistry>(r);
  return *r;
}

MmRegistry::MmRegistry(sim::RunContext* ctx, int ncpus)
    : ctx_(ctx), ncpus_(ncpus), loaded_(static_cast<std::size_t>(ncpus), -1) {}

Mm& MmRegistry::create(std::string name) {
  const int id = count();
  if (name.empty()) name = "mm" + std::to_string(id);
  mms_.push_back(std::make_unique<Mm>(ctx_, id, std::move(name), ncpus_));
  return *mms_.back();
}

void MmRegistry::set_loaded(int cpu, int mm) {
  loaded_[static_cast<std::size_t>(cpu)] = mm;
  if (mm >= 0) get(mm).add_cpu(cpu);
}

}  // namespace models
