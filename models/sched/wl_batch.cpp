// `batch`: a fluctuating-load job like a parallel kernel build. `jobs` slots run compile
// units (one short-lived process each, forked by the finishing one, so fork placement
// matters); units are grouped in directories, and a serial link step must finish before
// the next directory starts. Load swings between `jobs` runnable tasks and one.
#include <algorithm>

#include "models/sched/wl_common.h"

namespace models {

class Batch : public SchedWorkload {
 public:
  static constexpr const char* kDoc =
      "Fluctuating batch job (kernel-build-like): directories of compile units run `jobs` at a "
      "time, "
      "each directory ends with a serial link step. Throughput = units per second; makespan when "
      "finite.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = [] {
      sim::ParamList l = {
          sim::p_int("jobs", 64, "parallel jobs (make -j)", 1, 1000000),
          sim::p_int("units", 0, "compile units in total (0 = until the stop time)", 0, 1e12),
          sim::p_int("dir_units", 200, "units per directory (a link step follows each)", 1, 1e9),
          sim::p_time("unit_cpu", "8ms", "mean CPU time of a unit (exponential) (est.)"),
          sim::p_time("unit_io", "300us",
                      "mean I/O sleep inside a unit (exponential, 0 = none) (est.)"),
          sim::p_time("link_cpu", "20ms", "CPU time of a directory's link step (est.)"),
      };
      add_task_params(l, "1MiB");
      return l;
    }();
    return p;
  }
  Batch(sim::RunContext& ctx, const sim::Params& p)
      : SchedWorkload(ctx, p, ctx.instance("batch")),
        jobs_(count(p, "jobs", 1)),
        units_(p.i("units")),
        dir_units_(p.i("dir_units")),
        unit_cpu_(p.time("unit_cpu")),
        unit_io_(p.time("unit_io")),
        link_cpu_(p.time("link_cpu")) {
    makespan_ = &ctx.sim().stats().counter(instance_ + ".units_done");
  }

  void start() override {
    if (units_ > 0) hold();
    fill(-1);
  }

  Action next(int t) override {
    Unit& u = unit(t);
    const int phase = u.phase++;
    // A unit computes, may wait for I/O, computes again and exits; a link step only computes.
    if (u.link) {
      if (phase == 0) return Action::run(link_cpu_);
    } else if (phase == 0 || phase == 2) {
      return Action::run(half_unit());
    } else if (phase == 1) {
      if (unit_io_ > 0)
        return Action::sleep(
            std::max<Tick>(1, static_cast<Tick>(rng_.exponential(static_cast<double>(unit_io_)))));
      u.phase = 3;
      return Action::run(half_unit());
    }
    exited(u, sched_.cpu_of(t));
    return Action::exit();
  }

  void finish() override {
    auto& st = ctx_.sim().stats();
    if (done_at_) st.set_metric(instance_ + ".makespan_ms", sim::to_seconds(done_at_) * 1e3);
  }

 private:
  Tick half_unit() {
    return std::max<Tick>(1,
                          static_cast<Tick>(rng_.exponential(static_cast<double>(unit_cpu_)) / 2));
  }
  struct Unit {
    bool link = false;
    int phase = 0;
  };
  Unit& unit(int t) {
    if (static_cast<int>(units_of_.size()) <= t) units_of_.resize(static_cast<std::size_t>(t) + 1);
    return units_of_[static_cast<std::size_t>(t)];
  }
  void exited(const Unit& u, int cpu) {
    --running_;
    if (u.link) {
      linking_ = false;
      dir_started_ = 0;
    } else {
      sched_.add_ops(1);
      makespan_->add();
      ++completed_;
    }
    if (units_ > 0 && completed_ >= units_ && running_ == 0) {
      done();
      return;
    }
    fill(cpu);
  }
  void fill(int parent) {
    if (linking_) return;
    while (running_ < jobs_ && dir_started_ < dir_units_ && (units_ == 0 || started_ < units_)) {
      int t = sched_.spawn(spec_, parent);
      unit(t) = Unit{};
      ++running_;
      ++started_;
      ++dir_started_;
    }
    const bool dir_done = dir_started_ >= dir_units_ || (units_ > 0 && started_ >= units_);
    if (running_ == 0 && dir_done && (units_ == 0 || completed_ < units_ || started_ < units_)) {
      linking_ = true;
      int t = sched_.spawn(spec_, parent);
      unit(t) = Unit{true, 0};
      ++running_;
    }
  }

  int jobs_;
  std::int64_t units_, dir_units_;
  Tick unit_cpu_, unit_io_, link_cpu_;
  int running_ = 0;
  std::int64_t started_ = 0, completed_ = 0, dir_started_ = 0;
  bool linking_ = false;
  std::vector<Unit> units_of_;
  sim::Counter* makespan_;
};

HETSIM_REGISTER(sim::Workload, Batch, "batch");

}  // namespace models
