// `oltp`: database worker threads that run a query, often wait on storage I/O, then commit
// through log-writer threads (group commit: a writer flushes every commit queued on it so far
// and wakes those workers). Many more threads than CPUs, short bursts, many cross-CPU wakeups.
#include "models/sched/wl_common.h"

namespace models {

class Oltp : public SchedWorkload {
 public:
  static constexpr const char* kDoc =
      "OLTP-like mix: workers alternate queries, storage I/O sleeps and group commits through a "
      "log writer; throughput = transactions per second.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = [] {
      sim::ParamList l = {
          sim::p_int("threads", 256, "worker threads", 1, 1000000),
          sim::p_time("query_cpu", "150us", "mean CPU time of a query (exponential) (est.)"),
          sim::p_double("io_prob", 0.3, "probability a query waits for a storage read", 0, 1),
          sim::p_time("io_wait", "100us", "mean storage read latency (exponential) (est.)"),
          sim::p_int("log_writers", 8,
                     "log writer threads (worker i commits through writer i mod n)", 1, 100000),
          sim::p_time("commit_cpu", "10us", "worker CPU time to queue a commit (est.)"),
          sim::p_time("flush_cpu", "20us", "log writer CPU time per flush (est.)"),
          sim::p_time("flush_io", "50us", "log device write latency per flush (est.)"),
          sim::p_int("transactions", 0, "transactions per worker (0 = until the stop time)", 0,
                     1e12),
      };
      add_task_params(l, "512KiB");
      return l;
    }();
    return p;
  }
  Oltp(sim::RunContext& ctx, const sim::Params& p)
      : SchedWorkload(ctx, p, ctx.instance("oltp")),
        threads_(count(p, "threads", 1)),
        query_(p.time("query_cpu")),
        io_prob_(p.d("io_prob")),
        io_(p.time("io_wait")),
        commit_(p.time("commit_cpu")),
        flush_cpu_(p.time("flush_cpu")),
        flush_io_(p.time("flush_io")),
        count_(p.i("transactions")),
        nwriters_(static_cast<int>(p.i("log_writers"))) {}

  void start() override {
    for (int i = 0; i < nwriters_; ++i) {
      writers_.push_back(sched_.spawn(spec_));
      role(writers_.back()).writer = true;
      role(writers_.back()).log = i;
    }
    queues_.resize(static_cast<std::size_t>(nwriters_));
    flushing_.resize(static_cast<std::size_t>(nwriters_));
    for (int i = 0; i < threads_; ++i) {
      Role r;
      r.log = i % nwriters_;
      role(sched_.spawn(spec_)) = r;
    }
    live_ = threads_;
    if (count_ > 0) hold();
  }

  Action next(int t) override {
    Role& r = role(t);
    const int cpu = sched_.cpu_of(t);
    if (r.writer) {
      // phase 0: pick up the queue; 1: flush CPU done -> device write; 2: write done -> wake.
      if (r.phase == 1) {
        r.phase = 2;
        return Action::sleep(std::max<Tick>(1, flush_io_));
      }
      if (r.phase == 2) {
        for (int w : flushing_[static_cast<std::size_t>(r.log)]) {
          role(w).committed = true;
          sched_.wake(w, cpu);
        }
        flushing_[static_cast<std::size_t>(r.log)].clear();
        r.phase = 0;
      }
      auto& q = queues_[static_cast<std::size_t>(r.log)];
      if (q.empty()) return live_ > 0 ? Action::block() : Action::exit();
      flushing_[static_cast<std::size_t>(r.log)].swap(q);
      r.phase = 1;
      return Action::run(flush_cpu_);
    }
    switch (r.phase) {
      case 0:
        if (r.committed) {
          r.committed = false;
          ++r.done;
          sched_.add_ops(1);
          if (count_ > 0 && r.done >= count_) {
            if (--live_ == 0) {
              for (int w : writers_) sched_.wake(w, cpu);
              done();
            }
            return Action::exit();
          }
        }
        r.phase = 1;
        return Action::run(
            std::max<Tick>(1, static_cast<Tick>(rng_.exponential(static_cast<double>(query_)))));
      case 1:
        r.phase = 2;
        if (rng_.uniform() < io_prob_)
          return Action::sleep(
              std::max<Tick>(1, static_cast<Tick>(rng_.exponential(static_cast<double>(io_)))));
        [[fallthrough]];
      case 2:
        r.phase = 3;
        return Action::run(commit_);
      default:
        r.phase = 0;
        queues_[static_cast<std::size_t>(r.log)].push_back(t);
        sched_.wake(writers_[static_cast<std::size_t>(r.log)], cpu);
        return Action::block();
    }
  }

 private:
  struct Role {
    bool writer = false, committed = false;
    int phase = 0, log = 0;
    std::int64_t done = 0;
  };
  Role& role(int t) {
    if (static_cast<int>(roles_.size()) <= t) roles_.resize(static_cast<std::size_t>(t) + 1);
    return roles_[static_cast<std::size_t>(t)];
  }
  int threads_;
  Tick query_;
  double io_prob_;
  Tick io_, commit_, flush_cpu_, flush_io_;
  std::int64_t count_;
  int nwriters_;
  int live_ = 0;
  std::vector<int> writers_;
  std::vector<Role> roles_;
  std::vector<std::vector<int>> queues_, flushing_;
};

HETSIM_REGISTER(sim::Workload, Oltp, "oltp");

}  // namespace models
