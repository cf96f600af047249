// `move_pages`: a process with `bytes` of memory in folios of `folio` on node `from` asks the
// kernel to move them to node `to` in `calls` move_pages() calls, one after another, from
// the thread on `cpu`. Its other threads (mm_cpus in all) are what TLB shootdowns must reach.
#include <algorithm>
#include <memory>

#include "models/machine/machine.h"
#include "models/memory/mm.h"
#include "models/memory/node_memory.h"
#include "models/migration/migrator.h"
#include "sim/run_context.h"

namespace models {

class MovePagesWorkload : public sim::Workload {
 public:
  static constexpr const char* kDoc =
      "Maps `bytes` as folios of `folio` on node `from` and migrates them to `to` with `calls` "
      "sequential move_pages() calls from `cpu`; the process's threads run on `mm_cpus` CPUs (its "
      "mm cpumask), whose TLBs each batch's flush clears of the moved folios.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_size("bytes", "256MiB", "memory to migrate"),
        sim::p_size("folio", "4KiB", "folio size: a power of two from 4KiB to 1GiB"),
        sim::p_string("from", "node0", "source memory node"),
        sim::p_string("to", "node1", "destination memory node"),
        sim::p_int("calls", 1, "move_pages() calls the folios are split over", 1, 1 << 30),
        sim::p_int("cpu", 0, "CPU of the calling thread"),
        sim::p_int("mm_cpus", 1,
                   "CPUs the process's threads run on (its mm cpumask), the caller's first", 1,
                   8192),
        sim::p_choice(
            "mm_spread", "machine", {"machine", "socket"},
            "the other threads: spread over every CCD of the machine, or of the caller's socket"),
        sim::p_choice(
            "addresses", "page", {"page", "folio"},
            "addresses passed: one per base page (as the RFC benchmarks) or one per folio"),
        sim::p_choice("mapping", "auto", {"auto", "pte"},
                      "auto: 2MiB and 1GiB folios mapped by one PMD/PUD entry (THP, hugetlb), "
                      "smaller ones by PTEs; pte: every folio mapped by PTEs (mTHP, split PMD)"),
        sim::p_bool("cached", false,
                    "the source was just written by the caller, so its lines are in the "
                    "caller's L3 (the RFC benchmark at sizes that fit in it)"),
        sim::p_time("start", "0ns", "when the first call is made"),
    };
    return p;
  }

  MovePagesWorkload(sim::RunContext& ctx, const sim::Params& p)
      : ctx_(ctx), pf_(Machine::of(ctx)), migrator_(Migrator::of(ctx)) {
    const std::uint64_t bytes = p.size("bytes");
    const std::uint64_t folio = p.size("folio");
    if (folio < kBasePage || folio > (1ULL << 30) || (folio & (folio - 1)) != 0)
      p.where("folio").fail("a power of two from 4KiB to 1GiB",
                            sim::describe_value(p.raw("folio")));
    if (bytes == 0 || bytes % folio != 0)
      p.where("bytes").fail("a positive multiple of the folio size",
                            sim::describe_value(p.raw("bytes")));
    src_ = pf_.node_by_name(p.s("from"), p.where("from"));
    dst_ = pf_.node_by_name(p.s("to"), p.where("to"));
    if (dst_ == src_)
      p.where("to").fail("a node other than \"from\" (pages are already on " + p.s("from") + ")",
                         "\"" + p.s("to") + "\"");
    cpu_ = p.index("cpu", static_cast<std::uint64_t>(pf_.cpu_count()), "CPU");
    const int mm_cpus = static_cast<int>(p.i("mm_cpus"));
    if (mm_cpus > pf_.cpu_count())
      p.where("mm_cpus").fail("at most the machine's " + std::to_string(pf_.cpu_count()) + " CPUs",
                              std::to_string(mm_cpus));
    const std::uint64_t folios = bytes / folio;
    calls_ = static_cast<std::uint64_t>(p.i("calls"));
    if (calls_ > folios)
      p.where("calls").fail("at most one call per folio (" + std::to_string(folios) + ")",
                            std::to_string(calls_));
    page_addresses_ = p.s("addresses") == "page";
    cached_ = p.b("cached");
    start_ = p.time("start");

    // The process's threads run on its cpumask's CPUs: each has the mm loaded.
    MmRegistry& mms = MmRegistry::of(ctx);
    as_ = &mms.create(ctx.instance("move_pages"));
    for (int c : mm_cpumask(mm_cpus, p.s("mm_spread") == "socket")) mms.set_loaded(c, as_->id());
    long first = as_->map(folios, folio, src_, p.s("mapping") == "auto" && huge_mappable(folio));
    if (first < 0)
      p.where("bytes").fail("at most the " + std::to_string(NodeMemory::of(ctx).free_bytes(src_)) +
                                " free bytes of " + p.s("from"),
                            sim::describe_value(p.raw("bytes")));
    ctx.sim().stats().counter("migration.bytes_requested").add(static_cast<double>(bytes));
  }

  void start() override {
    ctx_.hold();
    ctx_.sim().call_at(start_, [this] { next_call(); });
  }

 private:
  // The caller, then CPUs taken in turn from each CCD (first SMT threads first).
  std::vector<int> mm_cpumask(int n, bool socket_only) const {
    std::vector<int> mask{cpu_};
    const int my_socket = pf_.cpus()[static_cast<std::size_t>(cpu_)].socket;
    std::vector<std::vector<int>> per_ccd(static_cast<std::size_t>(pf_.ccd_count()));
    for (const Cpu& c : pf_.cpus())
      if (c.id != cpu_ && (!socket_only || c.socket == my_socket))
        per_ccd[static_cast<std::size_t>(c.ccd)].push_back(c.id);
    for (std::size_t k = 0; static_cast<int>(mask.size()) < n; ++k) {
      bool any = false;
      for (const auto& list : per_ccd)
        if (k < list.size() && static_cast<int>(mask.size()) < n) {
          mask.push_back(list[k]);
          any = true;
        }
      if (!any) break;
    }
    return mask;
  }

  void next_call() {
    if (call_ == calls_) {
      ctx_.release();
      return;
    }
    const std::uint64_t n = as_->size();
    const std::uint64_t lo = n * call_ / calls_, hi = n * (call_ + 1) / calls_;
    ++call_;
    MigrationJob job;
    job.reason = MigrationReason::Syscall;
    job.as = as_;
    job.first = lo;
    job.count = hi - lo;
    job.dst = dst_;
    job.cpu = cpu_;
    job.page_addresses = page_addresses_;
    job.source_cached = cached_;
    migrator_.submit(std::move(job), [this] { next_call(); });
  }

  sim::RunContext& ctx_;
  Machine& pf_;
  Migrator& migrator_;
  Mm* as_ = nullptr;
  int src_ = 0, dst_ = 0, cpu_ = 0;
  std::uint64_t calls_ = 1, call_ = 0;
  bool page_addresses_ = true, cached_ = false;
  sim::Tick start_ = 0;
};

HETSIM_REGISTER(sim::Workload, MovePagesWorkload, "move_pages");

}  // namespace models
