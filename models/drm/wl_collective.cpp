// `collective`: nccl-tests in the model: `iterations` back-to-back collectives of `bytes` on a
// set of GPUs; reports the time of one, the algorithm bandwidth (S / t) and the bus bandwidth
// (S / t x 2(n-1)/n for AllReduce, (n-1)/n for the others) as nccl-tests prints them.

#include "models/drm/collective.h"
#include "models/drm/drm_sched.h"

namespace models {

class CollectiveWorkload : public sim::Workload {
 public:
  static constexpr const char* kDoc =
      "nccl-tests-like: back-to-back collectives (all_reduce ring or tree, all_gather, "
      "reduce_scatter, all_to_all) of one size over a set of GPUs; reports time, algbw and busbw";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_string("gpus", "", "comma-separated GPU names (\"\" = every GPU of the machine)"),
        sim::p_choice("op", "all_reduce",
                      {"all_reduce", "all_gather", "reduce_scatter", "all_to_all"},
                      "the collective"),
        sim::p_choice("algorithm", "ring", {"ring", "tree"},
                      "all_reduce: ring or double binary tree"),
        sim::p_size("bytes", "256MiB", "buffer size S (nccl-tests' size)"),
        sim::p_int("iterations", 5, "collectives, one after another", 1, 1000000),
        sim::p_time("hop_cost", "5us",
                    "software cost of one step (NCCL kernel work per hop; est.)"),
    };
    return p;
  }

  CollectiveWorkload(sim::RunContext& ctx, const sim::Params& p)
      : ctx_(ctx),
        name_(ctx.instance("collective")),
        m_(Machine::of(ctx)),
        bytes_(static_cast<double>(p.size("bytes"))),
        iterations_(static_cast<int>(p.i("iterations"))),
        hop_(p.time("hop_cost")) {
    const std::string& op = p.s("op");
    op_ = op == "all_gather"       ? CollectiveOp::AllGather
          : op == "reduce_scatter" ? CollectiveOp::ReduceScatter
          : op == "all_to_all"     ? CollectiveOp::AllToAll
                                   : CollectiveOp::AllReduce;
    algo_ = p.s("algorithm") == "tree" ? CollectiveAlgo::Tree : CollectiveAlgo::Ring;
    if (p.s("algorithm") == "tree" && op_ != CollectiveOp::AllReduce)
      p.where("algorithm").fail("ring for " + op, "\"tree\"");
    if (bytes_ <= 0) p.where("bytes").fail("a positive size", "0");
    DrmScheduler& drm = DrmScheduler::of(ctx);
    for (int r : drm.rings(p.s("gpus"), p.where("gpus")))
      ranks_.push_back(*m_.graph().find(drm.gpu(r)));
  }

  void start() override {
    ctx_.hold();
    next();
  }

  void finish() override {
    auto& st = ctx_.sim().stats();
    if (done_ == 0) return;
    const double t = sim::to_seconds(total_) / done_;
    const double algbw = bytes_ / t / 1e9;
    st.set_metric(name_ + ".time_us", t * 1e6);
    st.set_metric(name_ + ".algbw_gbps", algbw);
    st.set_metric(name_ + ".busbw_gbps",
                  algbw * busbw_factor(op_, static_cast<int>(ranks_.size())));
    st.set_metric(name_ + ".bytes_sent_per_gpu", sent_ / done_);
  }

 private:
  void next() {
    if (done_ == iterations_) {
      ctx_.release();
      return;
    }
    run_collective(ctx_.sim(), m_, op_, algo_, ranks_, bytes_, hop_,
                   [this](const CollectiveStats& c) {
                     total_ += c.time;
                     sent_ += c.bytes_per_rank;
                     ++done_;
                     next();
                   });
  }

  sim::RunContext& ctx_;
  const std::string name_;
  Machine& m_;
  double bytes_;
  int iterations_;
  Tick hop_;
  CollectiveOp op_;
  CollectiveAlgo algo_;
  std::vector<VertexId> ranks_;
  int done_ = 0;
  Tick total_ = 0;
  double sent_ = 0;
};

HETSIM_REGISTER(sim::Workload, CollectiveWorkload, "collective");

}  // namespace models
