// `adaptive`: per batch, estimates how long each agent would take from what the mechanism
// reports (folio size and count, per-folio overheads, path and queue bandwidths, idle CPUs,
// free DMA queues) and picks the fastest; within `cpu_slack` of the fastest it prefers the
// agent that uses less CPU time (DMA, then one CPU stream, then threads). Its copy threads
// go to idle CPUs first, and it uses no more threads than the socket has idle CPUs.
#include <algorithm>
#include <cmath>

#include "models/migration/migration_policy.h"
#include "sim/log.h"

namespace models {

class AdaptivePolicy : public MigrationPolicy {
 public:
  static constexpr const char* kDoc =
      "Chooses CPU, multi-threaded or DMA copy and the thread/channel count per batch from folio "
      "size, batch size, DMA queue occupancy and CPU load (estimated copy time, CPU-thrifty on "
      "ties).";
  static const sim::ParamList& params() {
    static const sim::ParamList p = migration_policy_params({
        sim::p_double("cpu_slack", 0.1, "relative time a CPU-thrifty agent may lose to the fastest",
                      0, 10),
        sim::p_bool("sg", true, "DMA copies use scatter-gather submissions"),
    });
    return p;
  }
  AdaptivePolicy(sim::RunContext&, const sim::Params& p)
      : max_streams_(static_cast<int>(p.i("streams"))),
        placement_(placement_of(p)),
        slack_(p.d("cpu_slack")),
        sg_(p.b("sg")) {}

  CopyPlan decide(const BatchInfo& b) override {
    const double bytes = static_cast<double>(b.bytes);
    const double n = b.folios;
    // Copy-phase time of k CPU streams: bytes over the links the threads can use, the
    // per-folio work shared among them, and for threads the dispatch and both wake-ups.
    auto cpu_time = [&](int k) {
      const int smt = std::max(1, b.smt);
      const int per_ccd = std::max(1, b.cores_per_ccd);
      const int ccds = std::max(1, b.ccds_per_socket);
      // packed fills every thread of a CCD (siblings included) first; spread every core first.
      int links = placement_ == Placement::Spread ? k : (k + per_ccd * smt - 1) / (per_ccd * smt);
      links = std::min(links, ccds);
      const int cores =
          placement_ == Placement::Spread ? std::min(k, per_ccd * ccds) : (k + smt - 1) / smt;
      double bw = std::min(cores * b.memcpy_rate, links * b.cpu_path_bw);
      double t = bytes / bw + b.cpu_copy_overhead_s * n / k;
      if (k > 1) t += 2 * b.worker_wakeup_s + k * b.worker_dispatch_s;
      return t;
    };
    // c channels: the caller maps every descriptor and submits each channel, the engines
    // share the path (and the engine's port), each descriptor costs engine time on its queue.
    auto dma_time = [&](int c) {
      c = std::min(c, std::max(1, b.folios));  // one descriptor per folio, no more channels
      double units = n;
      double bw = std::min(c * b.dma_queue_bw, b.dma_path_bw);
      return bytes / bw + (b.dma_desc_overhead_s + b.dma_desc_gap_s) * units / c +
             (b.dma_submit_s + b.dma_chan_setup_s) * c + b.dma_map_s * units + b.worker_wakeup_s;
    };
    CopyPlan best;  // one CPU stream
    double best_t = cpu_time(1);
    const double cpu1 = best_t;

    int idle = std::max(1, b.socket_cpus - b.socket_busy_cpus);
    for (int k = 2; k <= std::min(max_streams_, idle); k *= 2) {
      double t = cpu_time(k);
      if (t < best_t) {
        best_t = t;
        best.agent = "mt";
        best.streams = k;
        best.placement = placement_;
        best.avoid_busy = true;
      }
    }
    int free_q = b.dma_queues - b.dma_busy_queues;
    CopyPlan dma;
    double dma_t = INFINITY;
    for (int c = 1; c <= std::min(max_streams_, free_q); c *= 2) {
      double t = dma_time(c);
      if (t < dma_t) {
        dma_t = t;
        dma.agent = "dma";
        dma.streams = c;
        dma.sg = sg_;
      }
    }
    // CPU-thrifty choices within the slack of the fastest.
    const CopyPlan pick = dma_t <= best_t * (1 + slack_)                        ? dma
                          : best.agent == "mt" && cpu1 <= best_t * (1 + slack_) ? CopyPlan{}
                                                                                : best;
    if (sim::log_on(spdlog::level::debug))
      sim::logger().debug(
          "adaptive: batch {} ({} folios): est. cpu x1 {:.1f}us, best cpu/mt x{} {:.1f}us, "
          "dma x{} {:.1f}us ({} of {} queues free) -> {} x{}",
          b.batch_index, b.folios, cpu1 * 1e6, best.streams, best_t * 1e6, dma.streams, dma_t * 1e6,
          free_q, b.dma_queues, pick.agent, pick.streams);
    return pick;
  }

 private:
  int max_streams_;
  Placement placement_;
  double slack_;
  bool sg_;
};

HETSIM_REGISTER(MigrationPolicy, AdaptivePolicy, "adaptive");

}  // namespace models
