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
//
// Tensor parallelism (`tp` > 1): consecutive GPUs form groups of `tp` that split each layer;
// after a layer's backward the group all-reduces its activation gradients (`tp_allreduces`
// of `tp_bytes`, Megatron's two per transformer layer) before any member may start the next
// layer, so these collectives sit on the critical path under either timeline. The gradient
// bucket is then sharded over the group: `tp` data-parallel communicators (the ranks with the
// same position in their group) each all-reduce bucket / tp, side by side. On a cluster (the
// machine's "cluster" section) the data-parallel AllReduce is hierarchical over the machines.
#include <algorithm>
#include <deque>
#include <memory>
#include <numeric>
#include <optional>

#include "models/drm/cluster.h"
#include "models/drm/collective.h"
#include "models/drm/drm_sched.h"
#include "models/drm/gang.h"
#include "sim/rng.h"

namespace models {

class TrainingStep : public sim::Workload {
 public:
  static constexpr const char* kDoc =
      "data- and tensor-parallel training steps: per-layer backward jobs on every GPU, "
      "tensor-parallel AllReduces inside each group and a data-parallel AllReduce of each "
      "layer's gradients (hierarchical on a cluster); linear or DAG timelines; reports step "
      "time, exposed communication, barrier stalls and bus bandwidth";
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
        sim::p_choice("algorithm", "ring", {"ring", "tree", "nvls"},
                      "data-parallel AllReduce: ring, double binary tree or in-switch nvls; on "
                      "a cluster the algorithm inside each machine (ring or nvls)"),
        sim::p_choice("inter_algorithm", "ring", {"ring", "tree"},
                      "on a cluster: the data-parallel AllReduce between machines"),
        sim::p_int("chunks", 8, "on a cluster: pipelined chunks of a hierarchical AllReduce (est.)",
                   1, 4096),
        sim::p_int("tp", 1, "tensor-parallel group size (consecutive GPUs; 1 = data parallel only)",
                   1, 1024),
        sim::p_size("tp_bytes", "16MiB",
                    "activation-gradient bytes of one tensor-parallel AllReduce (batch x "
                    "sequence x hidden x 2 bytes, e.g. 1 x 2048 x 4096 x 2)"),
        sim::p_int("tp_allreduces", 2,
                   "tensor-parallel AllReduces per layer's backward (Megatron: 2)", 0, 64),
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
        kernels_(static_cast<int>(p.i("kernels"))),
        chunks_(static_cast<int>(p.i("chunks"))),
        tp_(static_cast<int>(p.i("tp"))),
        tp_ars_(static_cast<int>(p.i("tp_allreduces"))),
        tp_bytes_(static_cast<double>(p.size("tp_bytes"))),
        cluster_(machine_cluster(m_)) {
    if (compute_ == 0) p.where("compute").fail("a positive time", "0");
    const std::string& algo = p.s("algorithm");
    algo_ = algo == "tree"   ? CollectiveAlgo::Tree
            : algo == "nvls" ? CollectiveAlgo::Nvls
                             : CollectiveAlgo::Ring;
    inter_ = p.s("inter_algorithm") == "tree" ? CollectiveAlgo::Tree : CollectiveAlgo::Ring;
    if (cluster_ && algo_ == CollectiveAlgo::Tree)
      p.where("algorithm").fail("ring or nvls inside each machine of a cluster", "\"tree\"");
    const DrmPriority prio = parse_drm_priority(p.s("priority"));
    for (int ring : drm_.rings(p.s("gpus"), p.where("gpus"))) {
      rings_.push_back(ring);
      vertices_.push_back(*m_.graph().find(drm_.gpu(ring)));
      entities_.push_back(drm_.entity(ring, name_ + "." + drm_.gpu(ring), prio));
    }
    if (ranks() % tp_ != 0)
      p.where("tp").fail("a divisor of the " + std::to_string(ranks()) + " GPUs",
                         std::to_string(tp_));
    // Data-parallel communicators: the ranks at the same position of every TP group.
    dp_.resize(static_cast<std::size_t>(tp_));
    for (int r = 0; r < ranks(); ++r)
      dp_[static_cast<std::size_t>(r % tp_)].push_back(vertices_[static_cast<std::size_t>(r)]);
    for (const auto& c : dp_)
      if (algo_ == CollectiveAlgo::Nvls && c.size() > 1 && !reducing_switch(m_, c))
        p.where("algorithm")
            .fail("ring or tree: no NVSwitch with \"reduction\": true links to every GPU",
                  "\"nvls\"");
    if (tp_ > 1)
      for (int g = 0; g < ranks() / tp_; ++g) {
        std::vector<VertexId> grp(vertices_.begin() + g * tp_, vertices_.begin() + (g + 1) * tp_);
        if (algo_ == CollectiveAlgo::Nvls && !reducing_switch(m_, grp))
          p.where("algorithm")
              .fail("ring or tree: a TP group without a reducing NVSwitch", "\"nvls\"");
        tp_groups_.push_back(std::move(grp));
      }
    auto& st = ctx.sim().stats();
    step_time_ = &st.histogram(name_ + ".step_time", "ms", static_cast<double>(sim::kMs));
    steps_done_ = &st.counter(name_ + ".steps");
    comm_ps_ = &st.counter(name_ + ".comm_ps");
    exposed_ps_ = &st.counter(name_ + ".exposed_comm_ps");
    stall_ps_ = &st.counter(name_ + ".barrier_stall_ps");
    bytes_ = &st.counter(name_ + ".bytes_sent_per_gpu");
    if (tp_ > 1) tp_comm_ps_ = &st.counter(name_ + ".tp_comm_ps");
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
    if (tp_comm_ps_)
      st.set_metric(name_ + ".tp_comm_ms_per_step", n > 0 ? tp_comm_ps_->value() / 1e9 / n : 0);
    // A data-parallel communicator's ranks, over every machine of a cluster.
    const double ranks = static_cast<double>(dp_[0].size()) * (cluster_ ? cluster_->nodes : 1);
    const double bucket = bucket_ / tp_;
    // nccl-tests: algbw = S / t, busbw = algbw x 2(n-1)/n for AllReduce.
    st.set_metric(name_ + ".busbw_gbps", ar_time_ > 0 && ranks > 1
                                             ? bucket * static_cast<double>(ars_) /
                                                   sim::to_seconds(ar_time_) * 2 * (ranks - 1) /
                                                   ranks / 1e9
                                             : 0);
  }

 private:
  int ranks() const { return static_cast<int>(rings_.size()); }

  void begin_step() {
    step_start_ = ctx_.sim().now();
    computed_.assign(static_cast<std::size_t>(layers_), 0);
    ready_at_.assign(static_cast<std::size_t>(layers_) * rings_.size(), 0);
    busy_.assign(rings_.size(), 0);
    tp_done_.assign(static_cast<std::size_t>(layers_) * tp_groups_.size(), 0);
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
    if (tp_ == 1) return on_layer_ready(l, r);
    // The TP group all-reduces the layer's activation gradients once all its members have
    // computed it; then each member's layer is done.
    const int g = r / tp_;
    int& n =
        tp_done_[static_cast<std::size_t>(l) * tp_groups_.size() + static_cast<std::size_t>(g)];
    if (++n < tp_) return;
    tp_allreduce(l, g, tp_ars_);
  }

  void tp_allreduce(int l, int g, int left) {
    if (left == 0) {
      for (int r = g * tp_; r < (g + 1) * tp_; ++r) on_layer_ready(l, r);
      return;
    }
    run_collective(
        ctx_.sim(), m_, CollectiveOp::AllReduce, algo_, tp_groups_[static_cast<std::size_t>(g)],
        tp_bytes_, hop_, [this, l, g, left](const CollectiveStats& c) {
          tp_comm_ps_->add(static_cast<double>(c.time) / static_cast<double>(tp_groups_.size()));
          tp_allreduce(l, g, left - 1);
        });
  }

  void on_layer_ready(int l, int r) {
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

  // NCCL runs a communicator's collectives one after another on its stream; the `tp`
  // data-parallel communicators run theirs side by side, a layer's AllReduce ending with the
  // last of them.
  void next_allreduce() {
    if (pending_.empty()) return;
    const int l = pending_.front();
    const Tick start = ctx_.sim().now();
    auto left = std::make_shared<int>(tp_);
    auto sent = std::make_shared<double>(0);
    auto one = [this, l, start, left, sent](const CollectiveStats& c) {
      *sent = std::max(*sent, c.bytes_per_rank);
      if (--*left > 0) return;
      const Tick t = ctx_.sim().now() - start;
      comm_ps_->add(static_cast<double>(t));
      bytes_->add(*sent);
      ar_time_ += t;
      ++ars_;
      pending_.pop_front();
      if (linear_ && l + 1 < layers_) submit_layer(l + 1);
      if (++reduced_ == layers_) end_step();
      next_allreduce();
    };
    for (const auto& comm : dp_) {
      if (cluster_)
        run_hierarchical(ctx_.sim(), m_, *cluster_, algo_, inter_, comm, bucket_ / tp_, hop_, 1.0,
                         one, HierPart::All, chunks_);
      else
        run_collective(ctx_.sim(), m_, CollectiveOp::AllReduce, algo_, comm, bucket_ / tp_, hop_,
                       one);
    }
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
  int kernels_, chunks_, tp_, tp_ars_;
  double tp_bytes_;
  std::optional<Cluster> cluster_;
  CollectiveAlgo algo_, inter_;
  std::vector<std::vector<VertexId>> dp_, tp_groups_;
  std::vector<int> tp_done_;
  sim::Counter* tp_comm_ps_ = nullptr;
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
