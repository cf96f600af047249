// `corun`: applications that share the machine with a migration, to show what it costs them.
// A CPU-bound app owns `cpu_cpus` and progresses whenever no kernel or interrupt work runs
// there (the time CpuExec steals is its loss). A memory-bound app streams from `mem_node` on
// each of `mem_cpus`, asking for `mem_demand` per CPU; what it gets is what the flow model's
// fair sharing leaves it, and it issues nothing while its CPU is stolen.
#include <algorithm>
#include <memory>
#include <vector>

#include "models/cpu/cpu_exec.h"
#include "models/machine/machine.h"
#include "models/migration/cpu_load.h"
#include "sim/cpulist.h"
#include "sim/run_context.h"

namespace models {

class CorunWorkload : public sim::Workload, public CpuExec::Observer {
 public:
  static constexpr const char* kDoc =
      "Co-running applications: a CPU-bound one on `cpu_cpus` (slowdown = CPU time stolen by "
      "kernel and interrupt work) and a memory-bound one streaming from `mem_node` on `mem_cpus` "
      "(slowdown = demanded / achieved bandwidth). Runs until the run ends; holds nothing open.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_string("cpu_cpus", "", "CPUs running the CPU-bound application (cpulist)"),
        sim::p_string("mem_cpus", "", "CPUs running memory-bound streams (cpulist)"),
        sim::p_string("mem_node", "node0", "node the memory-bound application reads"),
        sim::p_bw("mem_demand", "8GB/s", "bandwidth each memory-bound stream asks for"),
        sim::p_size("chunk", "1MiB", "bytes per memory request batch (granularity of the stream)"),
    };
    return p;
  }

  CorunWorkload(sim::RunContext& ctx, const sim::Params& p)
      : ctx_(ctx), name_(ctx.instance("corun")), pf_(Machine::of(ctx)) {
    cpu_cpus_ = cpu_list(p, "cpu_cpus");
    mem_cpus_ = cpu_list(p, "mem_cpus");
    if (cpu_cpus_.empty() && mem_cpus_.empty())
      p.where("cpu_cpus").fail("at least one CPU in cpu_cpus or mem_cpus", "none");
    node_ = pf_.node_by_name(p.s("mem_node"), p.where("mem_node"));
    demand_ = p.bw("mem_demand");
    if (demand_ <= 0)
      p.where("mem_demand").fail("a positive bandwidth", sim::describe_value(p.raw("mem_demand")));
    chunk_ = static_cast<double>(p.size("chunk"));
    if (chunk_ <= 0) p.where("chunk").fail("a positive size", "0");
    watched_.assign(static_cast<std::size_t>(pf_.cpu_count()), 0);
    for (int c : cpu_cpus_) watched_[static_cast<std::size_t>(c)] |= 1;
    for (int c : mem_cpus_) watched_[static_cast<std::size_t>(c)] |= 2;
    CpuLoad& load = CpuLoad::of(ctx);
    for (int c : cpu_cpus_) load.add(c);
    for (int c : mem_cpus_) load.add(c);
    pf_.exec().add_observer(this);
  }

  void start() override {
    start_ = ctx_.sim().now();
    for (std::size_t i = 0; i < mem_cpus_.size(); ++i) next_chunk(i);
  }

  void on_steal(int cpu, Tick start, Tick duration, CpuExec::Kind) override {
    if (watched_[static_cast<std::size_t>(cpu)]) steals_.push_back({cpu, start, duration});
  }

  void finish() override {
    const Tick end = ctx_.sim().now();
    const double window = sim::to_seconds(end - start_);
    auto& st = ctx_.sim().stats();
    // Stolen time inside the window, per application.
    double stolen_cpu = 0, stolen_mem = 0;
    for (const Steal& s : steals_) {
      if (s.start >= end) continue;
      double d = sim::to_seconds(std::min(s.duration, end - s.start));
      int w = watched_[static_cast<std::size_t>(s.cpu)];
      if (w & 1) stolen_cpu += d;
      if (w & 2) stolen_mem += d;
    }
    if (!cpu_cpus_.empty()) {
      const double owned = window * static_cast<double>(cpu_cpus_.size());
      st.set_metric(name_ + ".cpu_stolen_us", stolen_cpu * 1e6);
      st.set_metric(name_ + ".cpu_slowdown",
                    owned > stolen_cpu ? owned / (owned - stolen_cpu) : 0.0);
    }
    if (!mem_cpus_.empty()) {
      double got = 0;
      for (const Stream& s : streams_) {
        got += s.bytes_done;
        if (s.flow) got += s.chunk_bytes - pf_.flows().remaining(s.flow);
      }
      const double want = demand_ * window * static_cast<double>(mem_cpus_.size());
      st.set_metric(name_ + ".mem_demand_gbps", window > 0 ? want / window / 1e9 : 0.0);
      st.set_metric(name_ + ".mem_achieved_gbps", window > 0 ? got / window / 1e9 : 0.0);
      st.set_metric(name_ + ".mem_slowdown", got > 0 ? want / got : 0.0);
      st.set_metric(name_ + ".mem_stolen_us", stolen_mem * 1e6);
    }
  }

 private:
  struct Steal {
    int cpu;
    Tick start, duration;
  };
  struct Stream {
    double bytes_done = 0, chunk_bytes = 0;
    sim::FlowId flow = 0;
  };

  std::vector<int> cpu_list(const sim::Params& p, const std::string& key) const {
    return sim::parse_cpulist(p.s(key), static_cast<std::uint64_t>(pf_.cpu_count()), p.where(key));
  }

  // A stream issues one chunk at a time at no more than its demand; time its CPU spends on
  // kernel or interrupt work is time it issues nothing (the next chunk waits for the CPU).
  void next_chunk(std::size_t i) {
    if (streams_.size() < mem_cpus_.size()) streams_.resize(mem_cpus_.size());
    const int cpu = mem_cpus_[i];
    sim::FlowNetwork::Spec spec;
    spec.path = pf_.read_path(cpu, node_);
    spec.bytes = chunk_;
    spec.rate_cap = demand_;
    spec.on_done = [this, i, cpu] {
      streams_[i].bytes_done += streams_[i].chunk_bytes;
      streams_[i].flow = 0;
      if (pf_.exec().idle(cpu)) {
        next_chunk(i);
      } else {
        pf_.exec().kernel(cpu, 0, [this, i] { next_chunk(i); });
      }
    };
    streams_[i].chunk_bytes = chunk_;
    streams_[i].flow = pf_.flows().start(std::move(spec));
  }

  sim::RunContext& ctx_;
  const std::string name_;  // instance name: the metrics' prefix
  Machine& pf_;
  std::vector<int> cpu_cpus_, mem_cpus_;
  std::vector<int> watched_;
  int node_ = 0;
  double demand_ = 0, chunk_ = 0;
  Tick start_ = 0;
  std::vector<Steal> steals_;
  std::vector<Stream> streams_;
};

HETSIM_REGISTER(sim::Workload, CorunWorkload, "corun");

}  // namespace models
