// `copy`: one agent (cores, or the queues of a DMA engine) streams a buffer from one memory
// node to another over the machine's links. The smallest end-to-end example: its time follows
// from the path's bottleneck and the agent's rate cap. A DMA copy goes through the same engine
// model as page migration (driver submission and interrupts on `cpu`, queue rings, the
// engine's port into its IO die).
#include <algorithm>
#include <cmath>

#include "models/dma/dma_engine.h"
#include "models/machine/machine.h"
#include "sim/run_context.h"

namespace models {

class CopyWorkload : public sim::Workload {
 public:
  static constexpr const char* kDoc =
      "Copies `bytes` from node `from` to node `to` with `streams` parallel flows by one agent "
      "kind (cpu: each stream capped at the core memcpy rate; dma: each stream one queue of the "
      "engine, driven by CPU `cpu`).";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_size("bytes", "1GiB", "bytes to copy"),
        sim::p_string("from", "node0", "source memory node"),
        sim::p_string("to", "node1", "destination memory node"),
        sim::p_choice("agent", "cpu", {"cpu", "dma"}, "who copies"),
        sim::p_int("cpu", 0, "first CPU used by agent=cpu (streams use consecutive CPUs)"),
        sim::p_int("engine", 0, "DMA engine index used by agent=dma"),
        sim::p_int("streams", 1, "parallel copy streams (cores or queues)", 1, 1024),
        sim::p_size("descriptor", "2MiB",
                    "agent=dma: bytes per descriptor the driver builds (scatter-gather entries "
                    "of a contiguous buffer; est.)"),
    };
    return p;
  }

  CopyWorkload(sim::RunContext& ctx, const sim::Params& p)
      : ctx_(ctx),
        name_(ctx.instance("copy")),
        pf_(Machine::of(ctx)),
        bytes_(p.size("bytes")),
        streams_(static_cast<int>(p.i("streams"))) {
    src_ = pf_.node_by_name(p.s("from"), p.where("from"));
    dst_ = pf_.node_by_name(p.s("to"), p.where("to"));
    dma_ = p.s("agent") == "dma";
    engines_ = dma_specs(pf_);
    cpu_ = p.index("cpu", static_cast<std::uint64_t>(pf_.cpu_count()), "CPU");
    if (dma_) {
      engine_ = p.index("engine", engines_.size(), "DMA engine");
      descriptor_ = p.size("descriptor");
      if (descriptor_ == 0) p.where("descriptor").fail("a positive size", "0");
      if (streams_ > engines_[engine_].queues)
        p.where("streams").fail(
            "at most the engine's " + std::to_string(engines_[engine_].queues) + " queues",
            std::to_string(streams_));
      DmaEngines::of(ctx);  // built with the run, so that its figures are registered
    } else if (cpu_ + streams_ > pf_.cpu_count()) {
      p.where("streams").fail(
          "cpu + streams within the machine's " + std::to_string(pf_.cpu_count()) + " CPUs",
          std::to_string(cpu_ + streams_));
    }
  }

  void start() override {
    ctx_.hold();
    const double per = static_cast<double>(bytes_) / streams_;
    left_ = streams_;
    auto stream_done = [this] {
      if (--left_ == 0) {
        done_at_ = ctx_.sim().now();
        ctx_.release();
      }
    };
    for (int s = 0; s < streams_; ++s) {
      if (dma_) {
        DmaCopy c;
        c.engine = engine_;
        c.queue = s;
        c.cpu = cpu_;
        c.src = src_;
        c.dst = dst_;
        c.bytes = per;
        c.descriptors = static_cast<int>(
            std::clamp<double>(std::ceil(per / static_cast<double>(descriptor_)), 1, 1 << 20));
        DmaEngines::of(ctx_).copy(c, stream_done);
        continue;
      }
      sim::FlowNetwork::Spec spec;
      spec.bytes = per;
      spec.path = pf_.cpu_copy_path(cpu_ + s, src_, dst_);
      spec.rate_cap = pf_.cpu_spec().memcpy_rate;
      spec.on_done = stream_done;
      pf_.flows().start(std::move(spec));
    }
  }

  void finish() override {
    auto& st = ctx_.sim().stats();
    st.set_metric(name_ + ".bytes", static_cast<double>(bytes_));
    st.set_metric(name_ + ".time_us", sim::to_us(done_at_));
    st.set_metric(name_ + ".throughput_gbps",
                  done_at_ ? static_cast<double>(bytes_) / sim::to_seconds(done_at_) / 1e9 : 0.0);
    st.set_metric(name_ + ".max_bottleneck_ratio", pf_.flows().max_bottleneck_ratio());
  }

 private:
  sim::RunContext& ctx_;
  const std::string name_;  // instance name: the metrics' prefix
  Machine& pf_;
  std::vector<DmaSpec> engines_;
  std::uint64_t descriptor_ = 0;
  std::uint64_t bytes_;
  int streams_, src_ = 0, dst_ = 0, cpu_ = 0, engine_ = 0, left_ = 0;
  bool dma_ = false;
  sim::Tick done_at_ = 0;
};

HETSIM_REGISTER(sim::Workload, CopyWorkload, "copy");

}  // namespace models
