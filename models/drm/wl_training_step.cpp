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
//
// Pipeline parallelism (`pp` > 1): consecutive blocks of GPUs are stages, each holding
// layers / pp consecutive layers (stage 0 the ones the backward pass reaches first). The batch
// is cut into `microbatches`; a rank computes its layers microbatch after microbatch, and the
// last layer of a microbatch sends its activation gradients (`pp_bytes` / microbatches) to the
// rank at the same position of the next stage, whose first layer waits for them (GPipe's
// backward: the later stages idle until the first microbatch arrives, the earlier ones once
// they are done, the bubble). A layer's gradients are all-reduced after its last microbatch,
// over the data-parallel ranks of its stage.
//
// Host side (`loader_threads` > 0, training_host.h): data-loader threads of the training
// process produce each step's batch ahead of the GPUs, a step waits for its batch, and after
// each step the process unmaps `unmaps` buffers, each unmap a TLB shootdown.
#include <algorithm>
#include <deque>
#include <memory>
#include <numeric>
#include <optional>

#include "models/drm/cluster.h"
#include "models/drm/collective.h"
#include "models/drm/drm_sched.h"
#include "models/drm/gang.h"
#include "models/drm/training_host.h"
#include "sim/cpulist.h"
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
        sim::p_int("pp", 1, "pipeline stages (consecutive blocks of GPUs; 1 = no pipeline)", 1,
                   1024),
        sim::p_int("microbatches", 1,
                   "microbatches per step: each layer job computes compute / microbatches; the "
                   "gradients are all-reduced after the last one",
                   1, 4096),
        sim::p_size("pp_bytes", "64MiB",
                    "activation-gradient bytes a stage sends the next per step (over all "
                    "microbatches: batch x sequence x hidden x 2 bytes)"),
        sim::p_int("loader_threads", 0,
                   "data-loader threads of the training process (scheduler tasks; 0 = no host "
                   "side)",
                   0, 4096),
        sim::p_string("loader_cpus", "",
                      "CPUs the loader threads may run on (cpulist; \"\" = every housekeeping "
                      "CPU)"),
        sim::p_time("batch_cpu", "5ms",
                    "CPU time of one loader thread's share of a step's batch (decode, augment, "
                    "collate; est.)"),
        sim::p_int("prefetch", 2, "steps a loader thread may work ahead (prefetch_factor)", 1,
                   1024),
        sim::p_int("unmaps", 0, "buffers the process unmaps after each step (munmap)", 0, 1 << 20),
        sim::p_size("unmap_size", "2MiB", "bytes of one unmapped buffer (4 KiB pages)"),
        sim::p_time("unmap_base", "1us", "munmap system call and VMA work, per call (est.)"),
        sim::p_time("pte_cost", "5ns", "clearing one PTE (zap_pte_range), per page (est.)"),
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
        pp_(static_cast<int>(p.i("pp"))),
        micro_(static_cast<int>(p.i("microbatches"))),
        pp_bytes_(static_cast<double>(p.size("pp_bytes"))),
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
    if (ranks() % pp_ != 0)
      p.where("pp").fail("a divisor of the " + std::to_string(ranks()) + " GPUs",
                         std::to_string(pp_));
    if (layers_ % pp_ != 0)
      p.where("pp").fail("a divisor of the " + std::to_string(layers_) + " layers",
                         std::to_string(pp_));
    if (per_stage() % tp_ != 0)
      p.where("tp").fail("a divisor of the " + std::to_string(per_stage()) + " GPUs of a stage",
                         std::to_string(tp_));
    if (gang_.together() && (pp_ > 1 || micro_ > 1))
      p.where(pp_ > 1 ? "pp" : "microbatches")
          .fail("1 under the gang policy (it grants whole layers on every rank)",
                std::to_string(pp_ > 1 ? pp_ : micro_));
    // Data-parallel communicators: the ranks of a stage at the same position of their TP
    // groups.
    dp_.resize(static_cast<std::size_t>(pp_ * tp_));
    for (int r = 0; r < ranks(); ++r)
      dp_[static_cast<std::size_t>(stage_of(r) * tp_ + r % tp_)].push_back(
          vertices_[static_cast<std::size_t>(r)]);
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
    if (pp_ > 1) pp_send_ps_ = &st.counter(name_ + ".pp_send_ps");
    if (pp_ > 1 || micro_ > 1) idle_ps_ = &st.counter(name_ + ".gpu_idle_ps");
    pending_.resize(static_cast<std::size_t>(pp_));
    if (p.i("loader_threads") > 0) {
      TrainingHost::Config c;
      c.threads = static_cast<int>(p.i("loader_threads"));
      if (!p.s("loader_cpus").empty())
        c.cpus = sim::parse_cpulist(p.s("loader_cpus"), static_cast<std::uint64_t>(m_.cpu_count()),
                                    p.where("loader_cpus"));
      c.batch_cpu = p.time("batch_cpu");
      c.prefetch = static_cast<int>(p.i("prefetch"));
      c.unmaps = static_cast<int>(p.i("unmaps"));
      c.unmap_pages = std::max<std::uint64_t>(1, p.size("unmap_size") >> 12);
      c.unmap_base = p.time("unmap_base");
      c.pte_cost = p.time("pte_cost");
      host_ = std::make_unique<TrainingHost>(ctx, name_ + ".host", std::move(c));
      data_wait_ps_ = &st.counter(name_ + ".data_wait_ps");
    }
  }

  void start() override {
    ctx_.hold();
    request_step();
  }

  void finish() override {
    auto& st = ctx_.sim().stats();
    const double n = steps_done_->value();
    st.set_metric(name_ + ".comm_ms_per_step", n > 0 ? comm_ps_->value() / 1e9 / n : 0);
    st.set_metric(name_ + ".exposed_comm_ms_per_step", n > 0 ? exposed_ps_->value() / 1e9 / n : 0);
    st.set_metric(name_ + ".barrier_stall_ms_per_step", n > 0 ? stall_ps_->value() / 1e9 / n : 0);
    if (tp_comm_ps_)
      st.set_metric(name_ + ".tp_comm_ms_per_step", n > 0 ? tp_comm_ps_->value() / 1e9 / n : 0);
    if (pp_send_ps_)
      st.set_metric(name_ + ".pp_send_ms_per_step", n > 0 ? pp_send_ps_->value() / 1e9 / n : 0);
    if (idle_ps_)
      st.set_metric(name_ + ".gpu_idle_ms_per_step", n > 0 ? idle_ps_->value() / 1e9 / n : 0);
    if (data_wait_ps_)
      st.set_metric(name_ + ".data_wait_ms_per_step", n > 0 ? data_wait_ps_->value() / 1e9 / n : 0);
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
  int per_stage() const { return ranks() / pp_; }
  int stage_of(int r) const { return r / per_stage(); }
  int stage_layers() const { return layers_ / pp_; }
  std::size_t at(int r) const { return static_cast<std::size_t>(r); }

  // The next step starts once the loaders have its batch (at once without a host side); its
  // time counts from the request, data wait included.
  void request_step() {
    const Tick asked = ctx_.sim().now();
    if (!host_) return begin_step(asked);
    host_->when_ready(static_cast<int>(steps_done_->value()), [this, asked] {
      step_wait_ = ctx_.sim().now() - asked;
      data_wait_ps_->add(static_cast<double>(step_wait_));
      begin_step(asked);
    });
  }

  void begin_step(Tick asked) {
    step_start_ = asked;
    computed_.assign(static_cast<std::size_t>(layers_), 0);
    ready_at_.assign(static_cast<std::size_t>(layers_) * rings_.size(), 0);
    busy_.assign(rings_.size(), 0);
    tp_done_.assign(static_cast<std::size_t>(layers_ * micro_) * tp_groups_.size(), 0);
    pos_.assign(rings_.size(), 0);
    running_.assign(rings_.size(), false);
    sends_.assign(rings_.size(), 0);
    recv_.assign(rings_.size() * static_cast<std::size_t>(micro_), false);
    ar_done_.assign(static_cast<std::size_t>(layers_), false);
    reduced_ = 0;
    if (gang_.together()) {
      submit_layer(0);
      return;
    }
    for (int r = 0; r < ranks(); ++r) advance(r);
  }

  // A rank's next job (its layers, microbatch after microbatch), once what it waits for is
  // there: the previous job (and its TP AllReduces), the activation gradients of this
  // microbatch from the previous stage, and on a linear timeline the AllReduce and the send
  // the previous job issued.
  void advance(int r) {
    const int total = stage_layers() * micro_;
    if (running_[at(r)] || pos_[at(r)] == total) return;
    const int q = pos_[at(r)], j = q / stage_layers(), k = stage_of(r);
    const int l = k * stage_layers() + q % stage_layers();
    if (k > 0 && q % stage_layers() == 0 &&
        !recv_[at(r) * static_cast<std::size_t>(micro_) + static_cast<std::size_t>(j)])
      return;
    if (linear_ && q > 0) {
      const int lp = k * stage_layers() + (q - 1) % stage_layers();
      if ((q - 1) / stage_layers() == micro_ - 1 && !ar_done_[static_cast<std::size_t>(lp)]) return;
      if (sends_[at(r)] > 0) return;
    }
    running_[at(r)] = true;
    ++pos_[at(r)];
    submit(l, j, r);
  }

  void send_activation(int j, int r) {
    const int dst = r + per_stage();
    ++sends_[at(r)];
    sim::FlowNetwork::Spec f;
    f.path = m_.graph().route(vertices_[at(r)], vertices_[at(dst)]);
    f.bytes = pp_bytes_ / micro_;
    const Tick start = ctx_.sim().now();
    f.on_done = [this, j, r, dst, start] {
      pp_send_ps_->add(static_cast<double>(ctx_.sim().now() - start) / per_stage());
      --sends_[at(r)];
      recv_[at(dst) * static_cast<std::size_t>(micro_) + static_cast<std::size_t>(j)] = true;
      advance(dst);
      advance(r);
    };
    m_.flows().start(std::move(f));
  }

  // Layer `l`'s backward on every rank (granted together under gang scheduling).
  void submit_layer(int l) {
    gang_.acquire(rings_, [this, l] {
      for (int r = 0; r < ranks(); ++r) submit(l, 0, r);
    });
  }

  void submit(int l, int j, int r) {
    DrmJobSpec s;
    s.entity = entities_[at(r)];
    const double jit = jitter_ > 0 ? (2 * rng_.uniform() - 1) * jitter_ : 0;
    s.duration = static_cast<Tick>(static_cast<double>(compute_) / micro_ * (1 + jit));
    s.kernels = kernels_;
    busy_[at(r)] += s.duration;
    s.done = [this, l, j, r](int, bool) { on_computed(l, j, r); };
    drm_.push(s);
  }

  void on_computed(int l, int j, int r) {
    if (tp_ == 1) return on_layer_ready(l, j, r);
    // The TP group all-reduces the layer's activation gradients once all its members have
    // computed it; then each member's layer is done.
    const int g = r / tp_;
    int& n = tp_done_[static_cast<std::size_t>(l * micro_ + j) * tp_groups_.size() +
                      static_cast<std::size_t>(g)];
    if (++n < tp_) return;
    tp_allreduce(l, j, g, tp_ars_);
  }

  void tp_allreduce(int l, int j, int g, int left) {
    if (left == 0) {
      for (int r = g * tp_; r < (g + 1) * tp_; ++r) on_layer_ready(l, j, r);
      return;
    }
    run_collective(
        ctx_.sim(), m_, CollectiveOp::AllReduce, algo_, tp_groups_[static_cast<std::size_t>(g)],
        tp_bytes_ / micro_, hop_, [this, l, j, g, left](const CollectiveStats& c) {
          tp_comm_ps_->add(static_cast<double>(c.time) / static_cast<double>(tp_groups_.size()));
          tp_allreduce(l, j, g, left - 1);
        });
  }

  void on_layer_ready(int l, int j, int r) {
    running_[at(r)] = false;
    const int k = stage_of(r);
    if (k + 1 < pp_ && l == (k + 1) * stage_layers() - 1) send_activation(j, r);
    // A DAG timeline lets a rank run ahead into its next job, unless its ranks are ganged.
    if (!gang_.together()) advance(r);
    if (j + 1 < micro_) return;
    ready_at_[static_cast<std::size_t>(l * ranks() + r)] = ctx_.sim().now();
    if (++computed_[static_cast<std::size_t>(l)] < per_stage()) return;
    if (gang_.together()) gang_.release(rings_);
    // Every rank of the stage has the bucket: the AllReduce starts; ranks that were ready
    // earlier waited.
    const Tick now = ctx_.sim().now();
    Tick stall = 0;
    for (int q = k * per_stage(); q < (k + 1) * per_stage(); ++q)
      stall += now - ready_at_[static_cast<std::size_t>(l * ranks() + q)];
    stall_ps_->add(static_cast<double>(stall) / per_stage());
    if (!linear_ && gang_.together() && l + 1 < layers_) submit_layer(l + 1);
    auto& pend = pending_[static_cast<std::size_t>(k)];
    pend.push_back(l);
    if (pend.size() == 1) next_allreduce(k);
  }

  // NCCL runs a communicator's collectives one after another on its stream; the `tp`
  // data-parallel communicators run theirs side by side, a layer's AllReduce ending with the
  // last of them.
  void next_allreduce(int k) {
    auto& pend = pending_[static_cast<std::size_t>(k)];
    if (pend.empty()) return;
    const int l = pend.front();
    const Tick start = ctx_.sim().now();
    auto left = std::make_shared<int>(tp_);
    auto sent = std::make_shared<double>(0);
    auto one = [this, k, l, start, left, sent](const CollectiveStats& c) {
      *sent = std::max(*sent, c.bytes_per_rank);
      if (--*left > 0) return;
      const Tick t = ctx_.sim().now() - start;
      comm_ps_->add(static_cast<double>(t));
      bytes_->add(*sent);
      ar_time_ += t;
      ++ars_;
      pending_[static_cast<std::size_t>(k)].pop_front();
      ar_done_[static_cast<std::size_t>(l)] = true;
      if (linear_ && gang_.together() && l + 1 < layers_) submit_layer(l + 1);
      if (linear_ && !gang_.together())
        for (int q = k * per_stage(); q < (k + 1) * per_stage(); ++q) advance(q);
      if (++reduced_ == layers_) return end_step();
      next_allreduce(k);
    };
    for (int pos = 0; pos < tp_; ++pos) {
      const auto& comm = dp_[static_cast<std::size_t>(k * tp_ + pos)];
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
    // The wait for data is not communication.
    const Tick gpu_t = t - std::min(t, step_wait_);
    exposed_ps_->add(static_cast<double>(gpu_t > compute ? gpu_t - compute : 0));
    if (idle_ps_) {
      double idle = 0;
      for (Tick b : busy_) idle += static_cast<double>(t - std::min(t, b));
      idle_ps_->add(idle / ranks());
    }
    if (host_) host_->consumed(static_cast<int>(steps_done_->value()) - 1);
    if (static_cast<int>(steps_done_->value()) < steps_)
      request_step();
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
  int pp_, micro_;
  double pp_bytes_;
  std::optional<Cluster> cluster_;
  CollectiveAlgo algo_, inter_;
  std::vector<std::vector<VertexId>> dp_, tp_groups_;
  std::vector<int> tp_done_;
  sim::Counter* tp_comm_ps_ = nullptr;
  std::vector<int> rings_, entities_;
  std::vector<VertexId> vertices_;
  std::vector<int> computed_;
  // Per stage: layers whose AllReduce waits for the one in flight.
  std::vector<std::deque<int>> pending_;
  std::vector<int> pos_, sends_;  // per rank: jobs submitted this step, sends in flight
  std::vector<bool> running_, recv_, ar_done_;
  sim::Counter *pp_send_ps_ = nullptr, *idle_ps_ = nullptr, *data_wait_ps_ = nullptr;
  std::unique_ptr<TrainingHost> host_;
  Tick step_wait_ = 0;  // this step's wait for its batch
  std::vector<Tick> ready_at_, busy_;
  int reduced_ = 0;
  Tick step_start_ = 0, ar_time_ = 0;
  std::uint64_t ars_ = 0;
  sim::Histogram* step_time_;
  sim::Counter *steps_done_, *comm_ps_, *exposed_ps_, *stall_ps_, *bytes_;
};

HETSIM_REGISTER(sim::Workload, TrainingStep, "training_step");

}  // namespace models
