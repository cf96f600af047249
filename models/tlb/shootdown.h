#pragma once
// TLB shootdown after arch/x86/mm/tlb.c (flush_tlb_mm_range / native_flush_tlb_multi): the
// initiator flushes its own TLB, sends an IPI to every other CPU in the mm cpumask, each
// target takes the interrupt (delivery latency, handler, one INVLPG per page up to the
// ceiling, a full flush above it) and acknowledges; the initiator spins until the last
// acknowledgement arrives. Every model that unmaps (page migration, munmap) flushes
// through this one service.
//
// Which CPUs get an IPI, and whether unmaps are flushed one by one, in batches, in a time
// window or by broadcast (INVLPGB), is the "flush" policy's choice (flush_policy.h); a
// scenario that names no such policy gets `immediate`, the protocol above.
//
// A request that names an address space (`mm`, models/memory/mm.h) is tracked in full: its
// targets come from the mm cpumask, per-CPU TLB contents (cpu_tlb.h) lose the pages, the mm's
// flush generation advances, and a CPU that was skipped catches up when it next switches to
// the mm. A request without one (mm = -1) only costs time, on the CPUs its cpumask names.
//
// The service is a named instance ("tlb" for the run's one): its metrics are <name>.*.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/machine/machine.h"
#include "models/memory/mm.h"
#include "models/tlb/cpu_tlb.h"
#include "sim/run_context.h"
#include "sim/slot_pool.h"

namespace models {

// Pages [first, first + count) in units of the request's page size.
struct VaRange {
  std::uint64_t first = 0;
  std::uint64_t count = 0;
  int page_shift = 0;  // 0: the request's page size
};

struct FlushRequest {
  int initiator = 0;
  std::vector<int> cpumask;  // CPUs that may cache the address space's translations
  std::uint64_t pages = 1;   // translations to invalidate (base or huge pages)
  // Optional, for callers that track address spaces and TLB contents:
  int mm = -1;                  // Mm id (also the PCID); -1: untracked, cpumask used
  int page_shift = 12;          // 12: 4 KiB pages, 21: 2 MiB pages
  std::vector<VaRange> ranges;  // the pages themselves (sum of counts == pages)
  bool more = false;            // more unmaps of the same batch follow (mmu_gather not finished)
  bool device = false;          // the range is mirrored by a device through an MMU notifier
};

struct FlushCost {
  Tick invlpg;                  // one single-page invalidation
  Tick full_flush;              // flushing the whole TLB (plus refill pressure it causes)
  std::uint64_t ceiling;        // above this many pages, flush everything
  Tick ipi_send;                // initiator's cost per IPI target (APIC writes)
  Tick invlpgb;                 // one INVLPGB broadcast instruction
  std::uint64_t invlpgb_pages;  // pages one INVLPGB can name
  Tick tlbsync;                 // TLBSYNC: wait until every CPU has applied the broadcasts
};

class FlushPolicy;

// The flush that unmapping folios `folios` of `mm` leaves to do (try_to_migrate's deferred
// flush, flush_tlb_mm_range over their ranges): every translation the folios had, at the
// page size each was mapped with. `pages` is what the flush is charged as.
FlushRequest folio_flush(const Mm& mm, int initiator, const std::vector<std::size_t>& folios,
                         std::uint64_t pages);
// The same into `out`, whose vectors keep their capacity.
void folio_flush(FlushRequest& out, const Mm& mm, int initiator,
                 const std::vector<std::size_t>& folios, std::uint64_t pages);

class TlbShootdown {
 public:
  static const sim::ParamList& params();  // machine.tlb
  // The run's shootdown service, created on first use.
  static TlbShootdown& of(sim::RunContext& ctx);

  // `name` scopes the instance's metrics ("tlb" for the run's service).
  TlbShootdown(sim::RunContext& ctx, Machine& pf, std::string name = "tlb");
  ~TlbShootdown();

  // Flushes through the run's flush policy. `done` runs on the initiator when it may go
  // on: for a request with more == false, once every translation of its batch is gone
  // from every TLB that could use it; with more == true a batching policy may let the
  // caller continue before that.
  void flush(const FlushRequest& req, std::function<void()> done);
  // flush() from kernel code on req.initiator, which spins there until the flush lets it go
  // (flush_tlb_multi waits for the acknowledgements): a kernel-worker item of that CPU
  // (CpuExec::kernel_spin) that holds it from when the worker gets to it; then `done` runs.
  // `on_cpu`, when given, hears the spin get and lose the CPU.
  void flush_spinning(const FlushRequest& req, std::function<void()> done,
                      std::function<void(bool)> on_cpu = nullptr);
  // Time one CPU spends invalidating `pages` translations.
  Tick local_cost(std::uint64_t pages) const;
  const FlushCost& cost() const { return cost_; }

  // The mechanisms the flush policies combine.
  // CPUs to interrupt: the mm cpumask (or the request's), without the initiator; with
  // `running_only`, only CPUs that have the mm loaded right now. The list is the service's
  // own buffer: valid until the next call.
  const std::vector<int>& targets(const FlushRequest& req, bool running_only) const;
  // The IPI protocol to `targets`. The request is copied: the caller may reuse it at once.
  void ipi_flush(const FlushRequest& req, const std::vector<int>& targets,
                 std::function<void()> done);
  // INVLPGB for each group of pages (one for the whole PCID above the ceiling), then
  // TLBSYNC; no interrupts.
  void broadcast_flush(const FlushRequest& req, std::function<void()> done);

  // Tracked state: the run's address spaces.
  MmRegistry& mms() { return mms_; }
  const MmRegistry& mms() const { return mms_; }
  CpuTlb& tlb(int cpu);
  const TlbGeometry& geometry() const { return geom_; }
  // Context switch of `cpu` to `mm` (-1: an untracked process). Returns the flush work
  // the switch costs: a full flush of the mm's PCID when the CPU's generation lags.
  Tick switch_mm(int cpu, int mm);
  // One data access by `cpu` to page `vpn` of `mm`; returns its translation cost.
  Tick access(int cpu, int mm, int page_shift, std::uint64_t vpn);
  // access() on each page of `vpns` in turn (see CpuTlb::access_all); returns the total cost.
  Tick access_all(int cpu, int mm, int page_shift, const std::vector<std::uint64_t>& vpns);
  // One access by `cpu` to base page `page` of folio `folio` of `mm`: translated at the size
  // the folio is mapped with, and noted in the folio's access state.
  Tick access_folio(int cpu, Mm& mm, std::size_t folio, std::uint64_t page = 0);
  // True when `cpu` could still translate through a cached entry of the page: the entry
  // is there and nothing forces a flush before the CPU next uses the mm.
  bool stale_visible(int cpu, int mm, int page_shift, std::uint64_t vpn) const;

  const std::string& name() const { return name_; }
  std::uint64_t shootdowns() const { return static_cast<std::uint64_t>(shootdowns_->value()); }
  std::uint64_t ipis() const { return static_cast<std::uint64_t>(ipis_->value()); }
  std::uint64_t ipis_received(int cpu) const { return recv_[static_cast<std::size_t>(cpu)]; }
  Tick stall(int cpu) const { return stall_[static_cast<std::size_t>(cpu)]; }
  double target_stall_ns() const { return target_stall_ns_->value(); }
  double hits() const { return hits_->value(); }
  double misses() const { return misses_->value(); }
  Machine& platform() { return pf_; }
  // Below this many CPUs in the mm cpumask, INVLPGB is not worth it (Linux falls back to IPIs).
  std::uint64_t invlpgb_min_cpus() const { return invlpgb_min_cpus_; }
  sim::RunContext& context() { return ctx_; }

 private:
  // Applies a flush of generation `gen` on `cpu` (flush_tlb_func): returns the
  // invalidation work, partial when the CPU was exactly one generation behind.
  Tick apply(int cpu, const FlushRequest& req, std::uint64_t gen);
  void invalidate_pages(int cpu, const FlushRequest& req);

  // A shootdown in flight. Kept in a pool (slots reused, their vectors keep their capacity),
  // so that a flush, its IPIs and their acknowledgements allocate nothing in steady state:
  // the events are typed (slot and target packed in the event's argument).
  struct InFlight {
    FlushRequest req;
    std::function<void()> done;
    std::uint64_t gen = 0;
    Tick start = 0;
    Tick last_ack = 0;  // when the latest acknowledgement reaches the initiator
    std::size_t left = 0;
    bool whole = false;  // broadcast: the whole PCID
  };
  std::uint32_t open_flight(const FlushRequest& req, std::function<void()> done);
  void on_ipi(std::uint64_t arg);         // arg: slot << 32 | target CPU
  void on_ack(std::uint64_t arg);         // the target's handler is over
  void on_finish(std::uint64_t slot);     // the initiator has seen the last acknowledgement
  void on_broadcast(std::uint64_t slot);  // TLBSYNC returned
  void close_flight(std::uint32_t slot);

  sim::RunContext& ctx_;
  Machine& pf_;
  std::string name_;
  FlushCost cost_;
  TlbGeometry geom_{};
  std::uint64_t invlpgb_min_cpus_ = 3;
  MmRegistry& mms_;
  std::vector<std::unique_ptr<CpuTlb>> tlbs_;
  std::vector<std::uint64_t> recv_;
  std::vector<Tick> stall_;
  sim::SlotPool<InFlight> flights_;
  mutable std::vector<int> targets_buf_;
  std::unique_ptr<FlushPolicy> policy_;
  sim::Counter* shootdowns_;
  sim::Counter* ipis_;
  sim::Counter* target_stall_ns_;
  sim::Counter* broadcasts_;
  sim::Counter* switch_flushes_;
  sim::Counter* full_flushes_;
  sim::Counter* hits_;
  sim::Counter* misses_;
  sim::Histogram* latency_;
};

}  // namespace models
