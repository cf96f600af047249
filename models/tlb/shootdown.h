#pragma once
// TLB shootdown after arch/x86/mm/tlb.c (flush_tlb_mm_range / native_flush_tlb_multi): the
// initiator flushes its own TLB, sends an IPI to every other CPU in the mm cpumask, each
// target takes the interrupt (delivery latency, handler, one INVLPG per page up to the
// ceiling, a full flush above it) and acknowledges; the initiator spins until the last
// acknowledgement arrives. Every model that unmaps (page migration, munmap) flushes
// through this one service.
#include <cstdint>
#include <functional>
#include <vector>

#include "models/platform/platform.h"
#include "sim/run_context.h"

namespace models {

struct FlushRequest {
  int initiator = 0;
  std::vector<int> cpumask;  // CPUs that may cache the address space's translations
  std::uint64_t pages = 1;   // translations to invalidate (base or huge pages)
};

struct FlushCost {
  Tick invlpg;          // one single-page invalidation
  Tick full_flush;      // flushing the whole TLB (plus refill pressure it causes)
  std::uint64_t ceiling;  // above this many pages, flush everything
  Tick ipi_send;        // initiator's cost per IPI target (APIC writes)
};

class TlbShootdown {
 public:
  static const sim::ParamList& params();  // machine.tlb
  // The run's shootdown service, created on first use.
  static TlbShootdown& of(sim::RunContext& ctx);

  TlbShootdown(sim::RunContext& ctx, Platform& pf);

  // Flushes; `done` runs on the initiator once every target has acknowledged.
  void flush(const FlushRequest& req, std::function<void()> done);
  // Time one CPU spends invalidating `pages` translations.
  Tick local_cost(std::uint64_t pages) const;
  const FlushCost& cost() const { return cost_; }

  std::uint64_t shootdowns() const { return shootdowns_->value(); }
  std::uint64_t ipis() const { return static_cast<std::uint64_t>(ipis_->value()); }

 private:
  sim::RunContext& ctx_;
  Platform& pf_;
  FlushCost cost_;
  sim::Counter* shootdowns_;
  sim::Counter* ipis_;
  sim::Counter* target_stall_ns_;
  sim::Histogram* latency_;
};

}  // namespace models
