// `collective`: nccl-tests in the model: `iterations` back-to-back collectives of `bytes` on a
// set of GPUs; reports the time of one, the algorithm bandwidth (S / t) and the bus bandwidth
// (S / t x 2(n-1)/n for AllReduce, (n-1)/n for the others) as nccl-tests prints them. On a
// cluster (the machine's "cluster" section with nodes > 1) the AllReduce is hierarchical and n
// counts the ranks of every machine.

#include <cmath>
#include <memory>

#include "models/drm/cluster.h"
#include "models/drm/collective.h"
#include "models/drm/drm_sched.h"
#include "models/drm/nccl_proxy.h"
#include "sim/cpulist.h"

namespace models {

class CollectiveWorkload : public sim::Workload {
 public:
  static constexpr const char* kDoc =
      "nccl-tests-like: back-to-back collectives (all_reduce ring, tree or nvls, all_gather, "
      "reduce_scatter, all_to_all) of one size over a set of GPUs, hierarchical over a "
      "cluster's machines; reports time, algbw and busbw";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_string("gpus", "", "comma-separated GPU names (\"\" = every GPU of the machine)"),
        sim::p_choice("op", "all_reduce",
                      {"all_reduce", "all_gather", "reduce_scatter", "all_to_all"},
                      "the collective"),
        sim::p_choice("algorithm", "ring", {"ring", "tree", "nvls"},
                      "all_reduce: ring, double binary tree, or nvls (in-switch reduction: "
                      "needs an NVSwitch with reduction linked to every GPU); on a cluster: "
                      "the algorithm inside each machine (ring or nvls)"),
        sim::p_choice("inter_algorithm", "ring", {"ring", "tree"},
                      "on a cluster: the AllReduce between machines over the NICs"),
        sim::p_choice("protocol", "simple", {"simple", "ll128", "ll"},
                      "NCCL protocol: payload share of the wire bytes 1 (simple), 120/128 "
                      "(ll128: 8-byte flag per 128-byte line), 1/2 (ll: 4-byte flag per 4 "
                      "bytes); its lower per-step latency is hop_cost's to set"),
        sim::p_size("bytes", "256MiB", "buffer size S (nccl-tests' size)"),
        sim::p_int("iterations", 5, "collectives, one after another", 1, 1000000),
        sim::p_int("chunks", 8,
                   "on a cluster: chunks the buffer is cut into, pipelined through the steps "
                   "of the three phases as NCCL pipelines its slices; each chunk pays every "
                   "step's hop_cost, so large counts overstate step costs (est.)",
                   1, 4096),
        sim::p_bool("proxy", false,
                    "on a cluster: each rank's NCCL proxy thread is a scheduler task that must "
                    "wake and run before each of the rank's sends to another machine"),
        sim::p_string("proxy_cpus", "",
                      "CPUs the proxy threads may run on (cpulist; \"\" = every housekeeping "
                      "CPU)"),
        sim::p_time("proxy_cost", "2us",
                    "proxy CPU time to post one network send (RDMA work request; est.)"),
        sim::p_time("proxy_slice", "0us",
                    "EEVDF slice the proxy threads ask for (sched_attr; 0 = the default)"),
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
        hop_(p.time("hop_cost")),
        efficiency_(protocol_efficiency(p.s("protocol"))),
        chunks_(static_cast<int>(p.i("chunks"))),
        cluster_(machine_cluster(m_)) {
    const std::string& op = p.s("op");
    op_ = op == "all_gather"       ? CollectiveOp::AllGather
          : op == "reduce_scatter" ? CollectiveOp::ReduceScatter
          : op == "all_to_all"     ? CollectiveOp::AllToAll
                                   : CollectiveOp::AllReduce;
    const std::string& algo = p.s("algorithm");
    algo_ = algo == "tree"   ? CollectiveAlgo::Tree
            : algo == "nvls" ? CollectiveAlgo::Nvls
                             : CollectiveAlgo::Ring;
    inter_ = p.s("inter_algorithm") == "tree" ? CollectiveAlgo::Tree : CollectiveAlgo::Ring;
    if (algo != "ring" && op_ != CollectiveOp::AllReduce)
      p.where("algorithm").fail("ring for " + op, "\"" + algo + "\"");
    if (cluster_ && op_ != CollectiveOp::AllReduce)
      p.where("op").fail("all_reduce on a cluster (machine.cluster.nodes > 1)", "\"" + op + "\"");
    if (cluster_ && algo_ == CollectiveAlgo::Tree)
      p.where("algorithm")
          .fail(
              "ring or nvls inside each machine of a cluster (the tree runs "
              "between machines: inter_algorithm)",
              "\"tree\"");
    if (bytes_ <= 0) p.where("bytes").fail("a positive size", "0");
    DrmScheduler& drm = DrmScheduler::of(ctx);
    for (int r : drm.rings(p.s("gpus"), p.where("gpus")))
      ranks_.push_back(*m_.graph().find(drm.gpu(r)));
    if (p.b("proxy")) {
      if (!cluster_)
        p.where("proxy").fail(
            "false on a single machine (no network sends: set "
            "machine.cluster.nodes > 1)",
            "true");
      std::vector<int> cpus;
      if (!p.s("proxy_cpus").empty())
        cpus = sim::parse_cpulist(p.s("proxy_cpus"), static_cast<std::uint64_t>(m_.cpu_count()),
                                  p.where("proxy_cpus"));
      proxy_wakeup_ = &ctx.sim().stats().histogram(name_ + ".proxy_wakeup", "us",
                                                   static_cast<double>(sim::kUs));
      proxies_ =
          std::make_unique<NcclProxies>(ctx, static_cast<int>(ranks_.size()), cpus,
                                        p.time("proxy_cost"), p.time("proxy_slice"), proxy_wakeup_);
    }
    if (algo_ == CollectiveAlgo::Nvls && ranks_.size() > 1 && !reducing_switch(m_, ranks_))
      p.where("algorithm")
          .fail("ring or tree: no NVSwitch with \"reduction\": true links to every GPU of the set",
                "\"nvls\"");
  }

  void start() override {
    ctx_.hold();
    next();
  }

  void finish() override {
    auto& st = ctx_.sim().stats();
    // No collective completed (a run cut short, or the zero-length run of `hetsim check`):
    // every figure is NaN (null in results), never a 0 no collective gave.
    const double n = done_ > 0 ? static_cast<double>(done_) : std::nan("");
    const double t = sim::to_seconds(total_) / n;
    const double algbw = bytes_ / t / 1e9;
    st.set_metric(name_ + ".time_us", t * 1e6);
    st.set_metric(name_ + ".algbw_gbps", algbw);
    const int nodes = cluster_ ? cluster_->nodes : 1;
    st.set_metric(name_ + ".busbw_gbps",
                  algbw * busbw_factor(op_, static_cast<int>(ranks_.size()) * nodes));
    st.set_metric(name_ + ".bytes_sent_per_gpu", sent_ / n);
    if (!cluster_) return;
    st.set_metric(name_ + ".nic_bytes_per_gpu", nic_sent_ / n);
    st.set_metric(name_ + ".intra_us", sim::to_seconds(intra_t_) / n * 1e6);
    st.set_metric(name_ + ".inter_us", sim::to_seconds(inter_t_) / n * 1e6);
    st.set_metric(name_ + ".ranks", static_cast<double>(ranks_.size()) * nodes);
  }

 private:
  void next() {
    if (done_ == iterations_) {
      ctx_.release();
      return;
    }
    auto one = [this](const CollectiveStats& c) {
      total_ += c.time;
      intra_t_ += c.intra_time;
      inter_t_ += c.inter_time;
      sent_ += c.bytes_per_rank;
      nic_sent_ += c.nic_bytes_per_rank;
      ++done_;
      next();
    };
    ProxyGate gate;
    if (proxies_)
      gate = [this](int rank, std::function<void()> go) { proxies_->post(rank, std::move(go)); };
    if (cluster_)
      run_hierarchical(ctx_.sim(), m_, *cluster_, algo_, inter_, ranks_, bytes_, hop_, efficiency_,
                       one, HierPart::All, chunks_, std::move(gate));
    else
      run_collective(ctx_.sim(), m_, op_, algo_, ranks_, bytes_, hop_, one, efficiency_);
  }

  sim::RunContext& ctx_;
  const std::string name_;
  Machine& m_;
  double bytes_;
  int iterations_;
  Tick hop_;
  double efficiency_;
  int chunks_;
  std::unique_ptr<NcclProxies> proxies_;
  sim::Histogram* proxy_wakeup_ = nullptr;
  std::optional<Cluster> cluster_;
  CollectiveOp op_;
  CollectiveAlgo algo_, inter_;
  std::vector<VertexId> ranks_;
  int done_ = 0;
  Tick total_ = 0, intra_t_ = 0, inter_t_ = 0;
  double sent_ = 0, nic_sent_ = 0;
};

HETSIM_REGISTER(sim::Workload, CollectiveWorkload, "collective");

}  // namespace models
