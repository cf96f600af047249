// `hackbench`: groups of senders and receivers over pipes (hackbench -pipe). Every sender
// writes to every receiver of its group; each receiver owns one pipe that all its group's
// senders fill. A sender's burst writes one message to each receiver in turn until a pipe
// is full (then it blocks on it); a receiver's burst reads everything queued in its pipe,
// waking the senders blocked on it, and blocks when the pipe is empty. Wakeups are sync.
#include <algorithm>

#include "models/sched/wl_common.h"

namespace models {

class Hackbench : public SchedWorkload {
 public:
  static constexpr const char* kDoc =
      "hackbench -pipe: groups x (fds senders + fds receivers) exchanging messages over pipes; "
      "throughput = messages received per second.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = [] {
      sim::ParamList l = {
          sim::p_int("groups", 10, "groups of senders and receivers", 1, 100000),
          sim::p_int("fds", 20, "senders and receivers per group", 1, 1000),
          sim::p_int("loops", 0,
                     "messages each sender writes to each receiver (0 = until the stop time)", 0,
                     1e12),
          sim::p_time("write_cost", "1.5us",
                      "CPU time of one pipe write of a 100-byte message (est.)"),
          sim::p_time("read_cost", "1.5us", "CPU time of one pipe read (est.)"),
          sim::p_int("pipe_msgs", 655, "messages a pipe holds (64 KiB / 100 B)", 1, 1 << 20),
      };
      add_task_params(l, "64KiB");
      return l;
    }();
    return p;
  }

  Hackbench(sim::RunContext& ctx, const sim::Params& p)
      : SchedWorkload(ctx, p, ctx.instance("hackbench")),
        fds_(static_cast<int>(p.i("fds"))),
        loops_(p.i("loops")),
        write_(p.time("write_cost")),
        read_(p.time("read_cost")),
        cap_(static_cast<int>(p.i("pipe_msgs"))) {
    groups_ = count(p, "groups", 2 * fds_);
  }

  void start() override {
    const int per = 2 * fds_;
    pipes_.resize(static_cast<std::size_t>(groups_ * fds_));
    writers_.resize(pipes_.size());
    for (int g = 0; g < groups_; ++g) {
      for (int i = 0; i < per; ++i) {
        int t = sched_.spawn(spec_);
        if (static_cast<int>(role_.size()) <= t) role_.resize(static_cast<std::size_t>(t) + 1);
        Role& r = role_[static_cast<std::size_t>(t)];
        r.group = g;
        r.receiver = i >= fds_;
        r.index = i % fds_;
        r.live = true;
        if (r.receiver) pipes_[static_cast<std::size_t>(g * fds_ + r.index)].reader = t;
      }
    }
    live_ = groups_ * per;
    if (loops_ > 0) hold();
  }

  Action next(int t) override {
    Role& r = role_[static_cast<std::size_t>(t)];
    const int cpu = sched_.cpu_of(t);
    if (!r.receiver) {
      // The previous burst's writes land now, in the order they were made.
      Pipe* group = &pipes_[static_cast<std::size_t>(r.group * fds_)];
      for (int k = 0, rx = r.inflight_first; k < r.inflight; ++k) {
        Pipe& p = group[rx];
        --p.reserved;
        ++p.ready;
        sched_.wake(p.reader, cpu, true);
        if (++rx == fds_) rx = 0;
      }
      r.inflight = 0;
      const std::int64_t total = loops_ * fds_;
      if (loops_ > 0 && r.sent >= total) return finish_task(r);
      // r.next_rx == r.sent % fds_: the receiver of the next message. A burst writes to
      // consecutive receivers (wrapping), so its writes are (first receiver, count).
      r.inflight_first = r.next_rx;
      while (r.inflight < fds_ && (loops_ == 0 || r.sent < total)) {
        Pipe& p = group[r.next_rx];
        if (p.ready + p.reserved >= cap_) break;
        ++p.reserved;
        ++r.sent;
        if (++r.next_rx == fds_) r.next_rx = 0;
        ++r.inflight;
      }
      if (r.inflight == 0) {
        writers_[static_cast<std::size_t>(r.group * fds_ + r.next_rx)].push_back(t);
        return Action::block();
      }
      return Action::run(write_ * static_cast<Tick>(r.inflight));
    }
    const auto ix = static_cast<std::size_t>(r.group * fds_ + r.index);
    Pipe& p = pipes_[ix];
    if (r.reading > 0) {
      sched_.add_ops(static_cast<double>(r.reading));
      r.received += r.reading;
      r.reading = 0;
      woken_.swap(writers_[ix]);  // the pipe keeps the other buffer: no allocation per read
      for (int s : woken_) sched_.wake(s, cpu, true);
      woken_.clear();
    }
    if (loops_ > 0 && r.received >= loops_ * fds_) return finish_task(r);
    if (p.ready == 0) return Action::block();
    r.reading = p.ready;
    p.ready = 0;
    return Action::run(read_ * static_cast<Tick>(r.reading));
  }

  void finish() override {
    auto& st = ctx_.sim().stats();
    st.set_metric(instance_ + ".messages", sched_ops());
    if (done_at_) st.set_metric(instance_ + ".time_ms", sim::to_seconds(done_at_) * 1e3);
  }

 private:
  struct Role {
    int group = 0, index = 0, next_rx = 0;
    bool receiver = false, live = false;
    std::int64_t sent = 0, received = 0, reading = 0;
    int inflight_first = 0, inflight = 0;  // the writes of the burst running: receivers
  };
  // A pipe's counts (messages: at most the capacity) take 12 bytes, so a sender's step reads
  // its group's pipes from a line or two; the writers blocked on a full pipe live apart.
  struct Pipe {
    int reader = -1;
    int ready = 0, reserved = 0;
  };
  Action finish_task(Role& r) {
    r.live = false;
    if (--live_ == 0) done();
    return Action::exit();
  }
  double sched_ops() const {
    double n = 0;
    for (const Role& r : role_)
      if (r.receiver) n += static_cast<double>(r.received);
    return n;
  }

  int fds_, groups_ = 0;
  std::int64_t loops_;
  Tick write_, read_;
  int cap_;
  int live_ = 0;
  std::vector<Role> role_;
  std::vector<Pipe> pipes_;
  std::vector<std::vector<int>> writers_;  // by pipe
  std::vector<int> woken_;
};

HETSIM_REGISTER(sim::Workload, Hackbench, "hackbench");

}  // namespace models
