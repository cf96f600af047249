#pragma once
// What every scheduler workload shares: placement parameters (affinity, cpuset, nice,
// working set) turned into a TaskSpec, and the run's life cycle (a workload with a finite
// amount of work holds the run open until its last task exits).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "models/sched/scheduler.h"
#include "sim/cpulist.h"
#include "sim/rng.h"
#include "sim/run_context.h"

namespace models {

inline void add_task_params(sim::ParamList& p, const char* ws_default) {
  p.push_back(
      sim::p_string("cpus", "", "affinity of every task (cpulist; \"\" = all housekeeping CPUs)"));
  p.push_back(sim::p_string("cpuset", "",
                            "cgroup cpuset the tasks live in (cpulist; \"\" = no restriction)"));
  p.push_back(sim::p_int("nice", 0, "nice value of every task", -20, 19));
  p.push_back(sim::p_size("working_set", ws_default,
                          "cache footprint refilled after a cache-hot migration (est.)"));
  p.push_back(sim::p_time("slice", "0ns",
                          "EEVDF slice every task asks for (sched_attr.sched_runtime of a fair "
                          "task: a shorter slice, an earlier virtual deadline); 0 = base_slice"));
  p.push_back(sim::p_choice("policy", "fair", {"fair", "deadline"},
                            "scheduling class of every task (SCHED_NORMAL or SCHED_DEADLINE)"));
  p.push_back(sim::p_time("dl_runtime", "500us", "SCHED_DEADLINE runtime per period"));
  p.push_back(sim::p_time("dl_deadline", "0ns", "SCHED_DEADLINE relative deadline (0 = period)"));
  p.push_back(sim::p_time("dl_period", "1ms", "SCHED_DEADLINE period"));
  p.push_back(sim::p_double(
      "per_cpu", 0,
      "if > 0: size the workload to this many tasks per allowed CPU (overrides its count)", 0,
      1000));
}

class SchedWorkload : public sim::Workload, public TaskClient {
 protected:
  SchedWorkload(sim::RunContext& ctx, const sim::Params& p, const std::string& name)
      : ctx_(ctx),
        sched_(Scheduler::of(ctx)),
        instance_(ctx.instance(name.substr(0, name.find('.')))),
        rng_(ctx.sim().seed(), "sched.workload." + name) {
    spec_.client = this;
    spec_.nice = static_cast<int>(p.i("nice"));
    spec_.working_set = p.size("working_set");
    spec_.slice = p.time("slice");
    if (p.s("policy") == "deadline") set_deadline(spec_, p);
    spec_.allowed =
        sched_.parse_allowed(p.s("cpus"), p.where("cpus"), p.s("cpuset"), p.where("cpuset"));
  }
  // SCHED_DEADLINE attributes from the task parameters; a spawn the kernel would refuse
  // (Scheduler::dl_refusal) is an input error at "policy".
  static void set_deadline(TaskSpec& s, const sim::Params& p) {
    s.dl_runtime = p.time("dl_runtime");
    s.dl_period = p.time("dl_period");
    s.dl_deadline = p.time("dl_deadline") ? p.time("dl_deadline") : s.dl_period;
    s.dl_where = p.where("policy");
  }
  // The workload's count parameter, or per_cpu x allowed CPUs / tasks per unit; refused up
  // front (before any task is built) when the workload would have more than kMaxTasks tasks.
  static constexpr double kMaxTasks = 1e6;
  int count(const sim::Params& p, const char* key, int tasks_per_unit) const {
    const double per = p.d("per_cpu");
    const double n =
        per <= 0 ? static_cast<double>(p.i(key))
                 : std::max(1.0, std::floor(per * spec_.allowed.count() / tasks_per_unit + 0.5));
    if (n * tasks_per_unit > kMaxTasks)
      p.where(per <= 0 ? key : "per_cpu")
          .fail("at most 1000000 tasks in one workload",
                sim::describe_value(p.raw(per <= 0 ? key : "per_cpu")) + ", which makes " +
                    std::to_string(static_cast<long long>(n) * tasks_per_unit) + " tasks");
    return static_cast<int>(n);
  }
  // Finite workloads call this in start() and done() when their last task exits.
  void hold() {
    ctx_.hold();
    held_ = true;
  }
  void done() {
    if (held_) {
      held_ = false;
      done_at_ = ctx_.sim().now();
      ctx_.release();
    }
  }
  Tick elapsed() const { return done_at_ ? done_at_ : ctx_.sim().now(); }
  // The "pin" parameter: a cpulist whose i-th CPU is the only one thread i may run on
  // (wrapping); "" leaves the workload's affinity as it is.
  void parse_pins(const sim::Params& p) {
    if (p.s("pin").empty()) return;
    pin_ = sim::parse_cpulist(p.s("pin"), static_cast<std::uint64_t>(sched_.platform().cpu_count()),
                              p.where("pin"));
    if (pin_.empty()) p.where("pin").fail("at least one CPU", "an empty list");
  }
  // The task spec of thread i, pinned when "pin" was given.
  TaskSpec thread_spec(int i) const {
    TaskSpec s = spec_;
    if (!pin_.empty()) {
      s.allowed = CpuMask(sched_.platform().cpu_count());
      s.allowed.set(pin_[static_cast<std::size_t>(i) % pin_.size()]);
    }
    return s;
  }

  sim::RunContext& ctx_;
  Scheduler& sched_;
  // The instance name ("oltp", "oltp1", or the scenario's "name"): the metrics' prefix.
  const std::string instance_;
  sim::Rng rng_;
  TaskSpec spec_;
  std::vector<int> pin_;
  bool held_ = false;
  Tick done_at_ = 0;
};

}  // namespace models
