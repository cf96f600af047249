// `mt`: the batch split over N kernel copy threads (the multi-threaded folio copy patches):
// the caller queues each thread's work item, the threads wake on the chosen CPUs, each copies
// its share in one stream, and the last one wakes the caller. SMT siblings copying in one
// batch share their core's miss buffers, so they split its rate.
#include <algorithm>
#include <memory>
#include <vector>

#include "models/migration/copy_agent.h"
#include "models/migration/cpu_copy.h"

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
    std::vector<int> cpus =
        worker_cpus(*b, b->socket_of(b->costs->mt_socket_from), n, plan.placement, plan.avoid_busy);
    std::vector<CopyShare> shares = b->split(n);
    const std::vector<Cpu>& all = b->pf->cpus();
    std::vector<double> rate(cpus.size());
    for (std::size_t w = 0; w < cpus.size(); ++w) {
      int sharing = 0;
      for (std::size_t o = 0; o < cpus.size(); ++o)
        sharing += shares[o].units > 0 && all[static_cast<std::size_t>(cpus[o])].core ==
                                              all[static_cast<std::size_t>(cpus[w])].core;
      rate[w] = b->copy_rate(cpus[w]) / std::max(1, sharing);
    }
    auto join = std::make_shared<Join>(Join{0, std::move(done)});
    for (const CopyShare& s : shares) join->left += s.units > 0;
    const Tick wake = b->costs->worker_wakeup;
    // The caller queues the work items, then sleeps until the last worker wakes it.
    b->kernel(b->cpu, b->costs->worker_dispatch * static_cast<Tick>(n),
              [b, cpus, shares, rate, join, wake] {
                for (std::size_t w = 0; w < shares.size(); ++w) {
                  if (shares[w].units == 0) continue;
                  CpuCopyRequest req{cpus[w],   b->src, b->dst, shares[w].bytes, shares[w].overhead,
                                     b->cpu_ps, rate[w]};
                  b->sim().call_after(wake, [b, req, join, wake] {
                    cpu_copy(*b->pf, req, [b, join, wake] {
                      if (--join->left == 0) b->sim().call_after(wake, join->done);
                    });
                  });
                }
              });
  }

 private:
  struct Join {
    int left;
    std::function<void()> done;
  };

  static std::vector<int> worker_cpus(const CopyBatch& b, int socket, int n, Placement pl,
                                      bool avoid_busy) {
    std::vector<int> order = copy_worker_order(*b.pf, socket, pl);
    if (avoid_busy)
      std::stable_partition(order.begin(), order.end(),
                            [&b](int c) { return b.pf->exec().idle(c); });
    std::vector<int> out;
    for (int i = 0; i < n; ++i) out.push_back(order[static_cast<std::size_t>(i) % order.size()]);
    return out;
  }
};

HETSIM_REGISTER(CopyAgent, MtAgent, "mt");

}  // namespace models
