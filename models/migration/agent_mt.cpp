// `mt`: the batch split over N kernel copy threads (the multi-threaded folio copy patches):
// the caller queues each thread's work item, the threads wake on the chosen CPUs, each copies
// its share in one stream, and the last one wakes the caller. SMT siblings copying in one
// batch share their core's miss buffers, so they split its rate.
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "models/migration/copy_agent.h"
#include "models/migration/cpu_copy.h"
#include "sim/slot_pool.h"

namespace models {

class MtAgent : public CopyAgent {
 public:
  static constexpr const char* kDoc =
      "`streams` kernel copy threads on the socket machine.migration.mt_socket names, placed "
      "`spread` or `packed`; the caller pays a dispatch per thread and a wake-up each way.";
  static const sim::ParamList& params() {
    static const sim::ParamList p;
    return p;
  }
  explicit MtAgent(sim::RunContext&) {}

  void copy(const std::shared_ptr<const CopyBatch>& b, std::function<void()> done) override {
    const CopyPlan& plan = *b->plan;
    const int n = plan.streams;
    const std::uint32_t slot = copies_.take();
    Copy& c = copies_[slot];
    c.b = b;
    worker_cpus(*b, b->socket_of(b->costs->mt_socket_from), n, plan.placement, plan.avoid_busy,
                c.cpus);
    b->split(n, c.shares);
    const std::vector<Cpu>& all = b->pf->cpus();
    c.rate.assign(c.cpus.size(), 0.0);
    for (std::size_t w = 0; w < c.cpus.size(); ++w) {
      int sharing = 0;
      for (std::size_t o = 0; o < c.cpus.size(); ++o)
        sharing += c.shares[o].units > 0 && all[static_cast<std::size_t>(c.cpus[o])].core ==
                                                all[static_cast<std::size_t>(c.cpus[w])].core;
      c.rate[w] = b->copy_rate(c.cpus[w]) / std::max(1, sharing);
    }
    c.left = 0;
    for (const CopyShare& s : c.shares) c.left += s.units > 0;
    c.done = std::move(done);
    c.wake = b->costs->worker_wakeup;
    // The caller queues the work items, then sleeps until the last worker wakes it.
    b->kernel(b->cpu, b->costs->worker_dispatch * static_cast<Tick>(n),
              [this, slot] { dispatch(slot); });
  }

 private:
  // A batch being copied. Pooled (its vectors' storage is kept) and named by slot, so the
  // callbacks are small enough for std::function's inline storage and a batch allocates
  // nothing in steady state.
  struct Copy {
    std::shared_ptr<const CopyBatch> b;
    std::vector<int> cpus;
    std::vector<CopyShare> shares;
    std::vector<double> rate;
    int left = 0;  // workers whose copy is not over
    Tick wake = 0;
    std::function<void()> done;
  };

  void dispatch(std::uint32_t slot) {
    const Copy& c = copies_[slot];
    for (std::size_t w = 0; w < c.shares.size(); ++w) {
      if (c.shares[w].units == 0) continue;
      const auto wi = static_cast<std::uint32_t>(w);
      c.b->sim().call_after(c.wake, [this, slot, wi] { start_worker(slot, wi); });
    }
  }

  void start_worker(std::uint32_t slot, std::uint32_t w) {
    const Copy& c = copies_[slot];
    const CopyBatch& b = *c.b;
    const CopyShare& s = c.shares[w];
    CpuCopyRequest req{c.cpus[w], b.src, b.dst, s.bytes, s.overhead, b.cpu_ps, c.rate[w]};
    cpu_copy(*b.pf, req, [this, slot] { worker_done(slot); });
  }

  // The last worker wakes the caller.
  void worker_done(std::uint32_t slot) {
    Copy& c = copies_[slot];
    if (--c.left > 0) return;
    sim::Simulator& sim = c.b->sim();
    const Tick wake = c.wake;
    std::function<void()> done = std::move(c.done);
    c.done = nullptr;
    c.b.reset();
    copies_.give_back(slot);
    sim.call_after(wake, std::move(done));
  }

  // The CPUs of `socket` in the order `pl` takes them (kept per socket and placement).
  const std::vector<int>& order_of(const Machine& pf, int socket, Placement pl) {
    const auto key = std::make_pair(socket, static_cast<int>(pl));
    auto it = orders_.find(key);
    if (it == orders_.end()) it = orders_.emplace(key, copy_worker_order(pf, socket, pl)).first;
    return it->second;
  }

  void worker_cpus(const CopyBatch& b, int socket, int n, Placement pl, bool avoid_busy,
                   std::vector<int>& out) {
    const std::vector<int>* order = &order_of(*b.pf, socket, pl);
    if (avoid_busy) {  // idle CPUs first, each group in its order
      busy_order_.clear();
      for (int c : *order)
        if (b.pf->exec().idle(c)) busy_order_.push_back(c);
      for (int c : *order)
        if (!b.pf->exec().idle(c)) busy_order_.push_back(c);
      order = &busy_order_;
    }
    out.clear();
    for (int i = 0; i < n; ++i)
      out.push_back((*order)[static_cast<std::size_t>(i) % order->size()]);
  }

  sim::SlotPool<Copy> copies_;
  std::map<std::pair<int, int>, std::vector<int>> orders_;
  std::vector<int> busy_order_;  // scratch of worker_cpus
};

HETSIM_REGISTER(CopyAgent, MtAgent, "mt");

}  // namespace models
