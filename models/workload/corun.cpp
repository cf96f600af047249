// `corun`: applications that share the machine with a migration, to show what it costs them.
// Both are scheduler tasks pinned one per CPU, so they lose whatever CPU time the scheduler
// gives to kernel work (copy workers, driver work) and interrupts there. A CPU-bound app runs
// on each of `cpu_cpus` without end. A memory-bound app streams from `mem_node` on each of
// `mem_cpus`: it needs its CPU to issue a chunk at `mem_demand` and stalls on the CPU until
// the flow model's fair sharing has delivered the chunk.
#include <algorithm>
#include <memory>
#include <vector>

#include "models/machine/machine.h"
#include "models/sched/scheduler.h"
#include "sim/cpulist.h"
#include "sim/run_context.h"

namespace models {

class CorunWorkload : public sim::Workload, public TaskClient {
 public:
  static constexpr const char* kDoc =
      "Co-running applications as scheduler tasks: a CPU-bound one on `cpu_cpus` (slowdown = "
      "CPU time lost to kernel work, interrupts and their switches) and a memory-bound one "
      "streaming from `mem_node` on `mem_cpus` (slowdown = demanded / achieved bandwidth). Runs "
      "until the run ends; holds nothing open.";
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
    issue_ = sim::transfer_time(chunk_, demand_);
    sched_ = &Scheduler::of(ctx);
  }

  void start() override {
    start_ = ctx_.sim().now();
    Scheduler& s = *sched_;
    auto pinned = [&](int cpu) {
      TaskSpec spec;
      spec.client = this;
      spec.allowed = CpuMask(pf_.cpu_count());
      spec.allowed.set(cpu);
      return s.spawn(spec);
    };
    for (int c : cpu_cpus_) cpu_tasks_.push_back(pinned(c));
    streams_.resize(mem_cpus_.size());
    for (std::size_t i = 0; i < mem_cpus_.size(); ++i) {
      const int t = pinned(mem_cpus_[i]);
      if (stream_of_.size() <= static_cast<std::size_t>(t))
        stream_of_.resize(static_cast<std::size_t>(t) + 1, -1);
      stream_of_[static_cast<std::size_t>(t)] = static_cast<int>(i);
      streams_[i].task = t;
    }
  }

  // A CPU-bound task computes without end; a stream alternates issuing a chunk (CPU time at
  // its demanded rate) and stalling on its CPU until the chunk has arrived.
  Action next(int task) override {
    const int i = static_cast<std::size_t>(task) < stream_of_.size()
                      ? stream_of_[static_cast<std::size_t>(task)]
                      : -1;
    if (i < 0) return Action::run(kComputeBurst);
    Stream& s = streams_[static_cast<std::size_t>(i)];
    if (s.flow) {  // issued, not yet delivered: wait on the CPU
      s.stalled = true;
      return Action::run(kStallBurst);
    }
    start_chunk(static_cast<std::size_t>(i));
    return Action::run(issue_);
  }

  void finish() override {
    const Tick end = ctx_.sim().now();
    const double window = sim::to_seconds(end - start_);
    auto& st = ctx_.sim().stats();
    // CPU time the apps did not get in the window, per application.
    double stolen_cpu = 0, stolen_mem = 0;
    for (int t : cpu_tasks_) stolen_cpu += window - sim::to_seconds(sched_->cpu_time_now(t));
    for (const Stream& s : streams_)
      stolen_mem += window - sim::to_seconds(sched_->cpu_time_now(s.task));
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
  static constexpr Tick kComputeBurst = sim::kMs;
  static constexpr Tick kStallBurst = sim::kSec;  // cut short when the chunk arrives
  struct Stream {
    int task = -1;
    double bytes_done = 0, chunk_bytes = 0;
    sim::FlowId flow = 0;
    bool stalled = false;
  };

  std::vector<int> cpu_list(const sim::Params& p, const std::string& key) const {
    return sim::parse_cpulist(p.s(key), static_cast<std::uint64_t>(pf_.cpu_count()), p.where(key));
  }

  void start_chunk(std::size_t i) {
    const int cpu = mem_cpus_[i];
    sim::FlowNetwork::Spec spec;
    spec.path = pf_.read_path(cpu, node_);
    spec.bytes = chunk_;
    spec.rate_cap = demand_;
    spec.on_done = [this, i] {
      Stream& s = streams_[i];
      s.bytes_done += s.chunk_bytes;
      s.flow = 0;
      if (s.stalled) {
        s.stalled = false;
        sched_->set_burst_left(s.task, 0);
      }
    };
    streams_[i].chunk_bytes = chunk_;
    streams_[i].flow = pf_.flows().start(std::move(spec));
  }

  sim::RunContext& ctx_;
  const std::string name_;  // instance name: the metrics' prefix
  Machine& pf_;
  std::vector<int> cpu_cpus_, mem_cpus_;
  int node_ = 0;
  double demand_ = 0, chunk_ = 0;
  Tick start_ = 0, issue_ = 0;
  Scheduler* sched_ = nullptr;
  std::vector<int> cpu_tasks_, stream_of_;
  std::vector<Stream> streams_;
};

HETSIM_REGISTER(sim::Workload, CorunWorkload, "corun");

}  // namespace models
