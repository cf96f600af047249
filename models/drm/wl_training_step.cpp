// `training_step`: data-parallel training steps on a set of GPUs. Each step runs the backward
// pass layer by layer (one GPU job per layer and rank, through the DRM scheduler), and each
// layer's gradient bucket is all-reduced over the ranks (a ring AllReduce over the machine
// graph; a communicator's collectives run one after another) once every rank has computed it. With
// a `linear` timeline every rank's next job waits for the previous one on its timeline, the
// AllReduce included, so communication never overlaps compute; with `dag` a layer's compute waits
// only for the previous layer's compute and the AllReduces overlap the layers that follow. A step
// ends when its last AllReduce has finished (the optimizer's barrier). Ranks that finish a layer
// early wait for the slowest at the AllReduce (barrier stall): per-rank jitter in compute time,
// another job on the same GPUs or a preempted job all show there. Under the `gang` policy a layer's
// jobs start on all ranks together.
#include <algorithm>
#include <deque>
#include <numeric>

#include "models/drm/collective.h"
#include "models/drm/drm_sched.h"
#include "models/drm/gang.h"
#include "sim/rng.h"

namespace models {

class TrainingStep : public sim::Workload {
 public:
  static constexpr const char* kDoc =
      "data-parallel training steps: per-layer backward jobs on every GPU and a ring AllReduce "
      "of each layer's gradients; linear or DAG timelines; reports step time, exposed "
      "communication, barrier stalls and bus bandwidth";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_string("gpus", "", "comma-separated GPU names (\"\" = every GPU of the machine)"),
        sim::p_int("steps", 10, "training steps", 1, 1000000),
        sim::p_int("layers", 24, "layers (gradient buckets) per step", 1, 100000),
        sim::p_time("compute", "2ms", "GPU time of one layer's backward on one rank (est.)"),
        sim::p_double("jitter", 0.0,
                      "each job's compute time varies uniformly within +- this share (rank "
                      "noise: clocks, CPU-side launch delays; est.)",
                      0, 0.99),
        sim::p_size("bucket", "25MiB",
                    "gradient bytes all-reduced per layer (DDP bucket_cap_mb 25)"),
        sim::p_choice("timeline", "dag", {"linear", "dag"},
                      "linear: each job waits for the previous one on its rank's timeline; dag: "
                      "only for the jobs it depends on"),
        sim::p_time("hop_cost", "5us",
                    "software cost of one collective step (NCCL kernel work per hop; est.)"),
        sim::p_int("kernels", 10, "GPU kernels per layer job (est.)", 1, 100000),
        sim::p_choice("priority", "normal", {"kernel", "high", "normal", "low"},
                      "priority of the job's GPU contexts"),
    };
    return p;
  }

  TrainingStep(sim::RunContext& ctx, const sim::Params& p)
      : ctx_(ctx),
        name_(ctx.instance("training_step")),
        m_(Machine::of(ctx)),
        drm_(DrmScheduler::of(ctx)),
        gang_(GangPolicy::of(ctx)),
        rng_(ctx.sim().seed(), "workload." + name_),
        steps_(static_cast<int>(p.i("steps"))),
        layers_(static_cast<int>(p.i("layers"))),
        compute_(p.time("compute")),
        jitter_(p.d("jitter")),
        bucket_(static_cast<double>(p.size("bucket"))),
        linear_(p.s("timeline") == "linear"),
        hop_(p.time("hop_cost")),
        kernels_(static_cast<int>(p.i("kernels"))) {
    if (compute_ == 0) p.where("compute").fail("a positive time", "0");
    const DrmPriority prio = parse_drm_priority(p.s("priority"));
    for (int ring : drm_.rings(p.s("gpus"), p.where("gpus"))) {
      rings_.push_back(ring);
      vertices_.push_back(*m_.graph().find(drm_.gpu(ring)));
      entities_.push_back(drm_.entity(ring, name_ + "." + drm_.gpu(ring), prio));
    }
    auto& st = ctx.sim().stats();
    step_time_ = &st.histogram(name_ + ".step_time", "ms", static_cast<double>(sim::kMs));
    steps_done_ = &st.counter(name_ + ".steps");
    comm_ps_ = &st.counter(name_ + ".comm_ps");
    exposed_ps_ = &st.counter(name_ + ".exposed_comm_ps");
    stall_ps_ = &st.counter(name_ + ".barrier_stall_ps");
    bytes_ = &st.counter(name_ + ".bytes_sent_per_gpu");
  }

  void start() override {
    ctx_.hold();
    begin_step();
  }

  void finish() override {
    auto& st = ctx_.sim().stats();
    const double n = steps_done_->value();
    st.set_metric(name_ + ".comm_ms_per_step", n > 0 ? comm_ps_->value() / 1e9 / n : 0);
    st.set_metric(name_ + ".exposed_comm_ms_per_step", n > 0 ? exposed_ps_->value() / 1e9 / n : 0);
    st.set_metric(name_ + ".barrier_stall_ms_per_step", n > 0 ? stall_ps_->value() / 1e9 / n : 0);
    const double ranks = static_cast<double>(rings_.size());
    // nccl-tests: algbw = S / t, busbw = algbw x 2(n-1)/n for AllReduce.
    st.set_metric(name_ + ".busbw_gbps", ar_time_ > 0 ? bucket_ * static_cast<double>(ars_) /
                                                            sim::to_seconds(ar_time_) * 2 *
                                                            (ranks - 1) / ranks / 1e9
                                                      : 0);
  }

 private:
  int ranks() const { return static_cast<int>(rings_.size()); }

  void begin_step() {
    step_start_ = ctx_.sim().now();
    computed_.assign(static_cast<std::size_t>(layers_), 0);
    ready_at_.assign(static_cast<std::size_t>(layers_) * rings_.size(), 0);
    busy_.assign(rings_.size(), 0);
    reduced_ = 0;
    submit_layer(0);
  }

  // Layer `l`'s backward on every rank (granted together under gang scheduling).
  void submit_layer(int l) {
    gang_.acquire(rings_, [this, l] {
      for (int r = 0; r < ranks(); ++r) submit(l, r);
    });
  }

  void submit(int l, int r) {
    DrmJobSpec s;
    s.entity = entities_[static_cast<std::size_t>(r)];
    const double j = jitter_ > 0 ? (2 * rng_.uniform() - 1) * jitter_ : 0;
    s.duration = static_cast<Tick>(static_cast<double>(compute_) * (1 + j));
    s.kernels = kernels_;
    busy_[static_cast<std::size_t>(r)] += s.duration;
    s.done = [this, l, r](int, bool) { on_computed(l, r); };
    drm_.push(s);
  }

  void on_computed(int l, int r) {
    ready_at_[static_cast<std::size_t>(l * ranks() + r)] = ctx_.sim().now();
    // A DAG timeline lets a rank run ahead into its next layer, unless its ranks are ganged.
    if (!linear_ && !gang_.together() && l + 1 < layers_) submit(l + 1, r);
    if (++computed_[static_cast<std::size_t>(l)] < ranks()) return;
    if (gang_.together()) gang_.release(rings_);
    // Every rank has the bucket: the AllReduce starts; ranks that were ready earlier waited.
    const Tick now = ctx_.sim().now();
    Tick stall = 0;
    for (int q = 0; q < ranks(); ++q)
      stall += now - ready_at_[static_cast<std::size_t>(l * ranks() + q)];
    stall_ps_->add(static_cast<double>(stall) / ranks());
    if (!linear_ && gang_.together() && l + 1 < layers_) submit_layer(l + 1);
    pending_.push_back(l);
    if (pending_.size() == 1) next_allreduce();
  }

  // NCCL runs a communicator's collectives one after another on its stream.
  void next_allreduce() {
    if (pending_.empty()) return;
    const int l = pending_.front();
    ring_allreduce(ctx_.sim(), m_, vertices_, bucket_, hop_, [this, l](const CollectiveStats& c) {
      comm_ps_->add(static_cast<double>(c.time));
      bytes_->add(c.bytes_per_rank);
      ar_time_ += c.time;
      ++ars_;
      pending_.pop_front();
      if (linear_ && l + 1 < layers_) submit_layer(l + 1);
      if (++reduced_ == layers_) end_step();
      next_allreduce();
    });
  }

  void end_step() {
    const Tick t = ctx_.sim().now() - step_start_;
    step_time_->record(t);
    steps_done_->add();
    const Tick compute = *std::max_element(busy_.begin(), busy_.end());
    exposed_ps_->add(static_cast<double>(t > compute ? t - compute : 0));
    if (static_cast<int>(steps_done_->value()) < steps_)
      begin_step();
    else
      ctx_.release();
  }

  sim::RunContext& ctx_;
  const std::string name_;
  Machine& m_;
  DrmScheduler& drm_;
  GangPolicy& gang_;
  sim::Rng rng_;
  int steps_, layers_;
  Tick compute_;
  double jitter_, bucket_;
  bool linear_;
  Tick hop_;
  int kernels_;
  std::vector<int> rings_, entities_;
  std::vector<VertexId> vertices_;
  std::vector<int> computed_;
  std::deque<int> pending_;  // layers whose AllReduce waits for the one in flight
  std::vector<Tick> ready_at_, busy_;
  int reduced_ = 0;
  Tick step_start_ = 0, ar_time_ = 0;
  std::uint64_t ars_ = 0;
  sim::Histogram* step_time_;
  sim::Counter *steps_done_, *comm_ps_, *exposed_ps_, *stall_ps_, *bytes_;
};

HETSIM_REGISTER(sim::Workload, TrainingStep, "training_step");

}  // namespace models
