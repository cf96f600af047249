// `sync`: threads that synchronise through shared cache lines by spinning on them, so that
// what one synchronisation costs depends on where the threads run. Each time a line changes
// hands the reader pays the core-to-core latency between the two CPUs (the machine's c2c
// figures: SMT sibling, same CCX, other CCX or CCD, other socket).
// - pingpong: pairs of threads pass a token: the holder works, writes the line; its partner,
//   spinning, sees the write one c2c latency later and becomes the holder.
// - barrier: all threads work, then arrive with an atomic increment of the barrier's counter
//   line (arrivals are serialised: each one pulls the line from the previous arriver); the
//   last one releases the barrier and every spinner sees the release one c2c latency later.
// A spinner burns its CPU (a preempted spinner delays its partners); its spin ends when what
// it waits for becomes visible (Scheduler::set_burst_left).
#include "models/sched/wl_common.h"
#include "sim/error.h"

namespace models {

class Sync : public SchedWorkload {
 public:
  static constexpr const char* kDoc =
      "Threads synchronising through shared cache lines (pingpong pairs or a barrier), each "
      "line transfer costing the c2c latency between the CPUs involved. Reports "
      "sync.<name>.{syncs,sync_ns,spin_share}.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = [] {
      sim::ParamList l = {
          sim::p_string("label", "",
                        "older spelling of the instance name: metrics are sync.LABEL.*; "
                        "without it sync.INSTANCE.* (sync.sync.* for a lone unnamed one)"),
          sim::p_choice("mode", "pingpong", {"pingpong", "barrier"}, "what the threads do"),
          sim::p_int("threads", 2, "threads (pingpong: pairs of consecutive threads)", 2, 100000),
          sim::p_string("pin", "",
                        "cpulist; thread i runs only on its i-th CPU (wrapping); \"\" = where "
                        "the scheduler puts them"),
          sim::p_time("work", "20ns", "CPU time between two synchronisations (est.)"),
          sim::p_int("iterations", 0, "synchronisations (0 = until the stop time)", 0, 1e12),
      };
      add_task_params(l, "4KiB");
      return l;
    }();
    return p;
  }
  Sync(sim::RunContext& ctx, const sim::Params& p)
      : SchedWorkload(ctx, p, "sync." + ctx.instance_label("sync", p.s("label"), "sync")),
        label_(ctx.instance_label("sync", p.s("label"), "sync")),
        barrier_(p.s("mode") == "barrier"),
        threads_(count(p, "threads", 1)),
        work_(p.time("work")),
        iters_(p.i("iterations")) {
    if (!barrier_ && threads_ % 2)
      p.where("threads").fail("an even number of threads for pingpong", std::to_string(threads_));
    if (work_ == 0) p.where("work").fail("a positive time", "0ns");
    parse_pins(p);
  }

  void start() override {
    for (int i = 0; i < threads_; ++i) {
      const int t = sched_.spawn(thread_spec(i));
      if (static_cast<int>(slot_.size()) <= t) slot_.resize(static_cast<std::size_t>(t) + 1, -1);
      slot_[static_cast<std::size_t>(t)] = i;
      tasks_.push_back(t);
      // pingpong: the first thread of each pair holds the token.
      phase_.push_back(barrier_ || i % 2 == 0 ? kWork : kStart);
      gen_.push_back(0);
    }
    if (!barrier_) {
      for (int k = 0; k < threads_ / 2; ++k) holder_.push_back(2 * k);
      written_.assign(holder_.size(), 0);
      wcpu_.assign(holder_.size(), -1);
    }
    live_ = threads_;
    if (iters_ > 0) hold();
  }

  Action next(int t) override {
    const int i = slot_[static_cast<std::size_t>(t)];
    Phase& ph = phase_[static_cast<std::size_t>(i)];
    if (stopped_) {
      if (--live_ == 0) done();  // the last thread out ends the run
      return Action::exit();
    }
    switch (ph) {
      case kWork:
        ph = kWorking;
        return Action::run(work_);
      case kWorking:
        return barrier_ ? arrive(i) : hand_over(i);
      case kStart:
        return spin_until_mine(i);
      case kArriving:
        // Our increment is done; released meanwhile (others arrived after us)?
        if (released_gen_ >= gen_[static_cast<std::size_t>(i)]) return visible_or_work(i);
        ph = kSpin;
        return Action::run(kSpinCap);
      case kSpin:
        // What we waited for became visible: our turn (pingpong) or the release (barrier).
        ph = kWorking;
        return Action::run(work_);
    }
    return Action::exit();
  }

  void finish() override {
    auto& st = ctx_.sim().stats();
    const double el = static_cast<double>(elapsed());
    const std::string p = "sync." + label_ + ".";
    // pingpong: one sync is a hand-over within a pair; barrier: one completed barrier.
    const double per_stream = barrier_ ? syncs_ : syncs_ / (threads_ / 2);
    st.set_metric(p + "syncs", syncs_);
    st.set_metric(p + "sync_ns",
                  per_stream > 0 ? el / static_cast<double>(sim::kNs) / per_stream : 0);
    Tick cpu = 0;
    for (int t : tasks_) cpu += sched_.cpu_time(t);
    const double work = static_cast<double>(work_) * (barrier_ ? syncs_ * threads_ : syncs_);
    st.set_metric(p + "spin_share",
                  cpu > 0 ? std::max(0.0, 1.0 - work / static_cast<double>(cpu)) : 0);
  }

 private:
  enum Phase { kWork, kWorking, kStart, kArriving, kSpin };
  static constexpr Tick kSpinCap = 10 * sim::kSec;  // a spin nobody ends lasts past any run

  Tick now() const { return ctx_.sim().now(); }
  int cpu(int i) const { return sched_.cpu_of(tasks_[static_cast<std::size_t>(i)]); }

  void count_sync() {
    sched_.add_ops(1);
    syncs_ += 1;
    if (iters_ > 0 && syncs_ >= static_cast<double>(iters_) * (barrier_ ? 1 : threads_ / 2)) {
      stopped_ = true;
      for (std::size_t w = 0; w < tasks_.size(); ++w)  // spinners stop spinning and exit
        if (phase_[w] == kSpin) sched_.set_burst_left(tasks_[w], 0);
    }
  }

  // pingpong: spin until the token is ours and its line has reached our CPU.
  Action spin_until_mine(int i) {
    const std::size_t pair = static_cast<std::size_t>(i / 2);
    phase_[static_cast<std::size_t>(i)] = kSpin;
    if (holder_[pair] != i) return Action::run(kSpinCap);
    const Tick vis = written_[pair] + sched_.platform().c2c_latency(wcpu_[pair], cpu(i));
    return Action::run(std::max<Tick>(vis > now() ? vis - now() : 0, 1));
  }

  // pingpong: the holder wrote the line; its spinning partner sees it one c2c latency later.
  Action hand_over(int i) {
    const int partner = i ^ 1;
    const std::size_t pair = static_cast<std::size_t>(i / 2);
    count_sync();
    holder_[pair] = partner;
    written_[pair] = now();
    wcpu_[pair] = cpu(i);
    if (phase_[static_cast<std::size_t>(partner)] == kSpin)
      sched_.set_burst_left(tasks_[static_cast<std::size_t>(partner)],
                            sched_.platform().c2c_latency(cpu(i), cpu(partner)));
    return spin_until_mine(i);
  }

  // barrier: the atomic increment pulls the counter line from the previous arriver; the
  // arrivals queue on the line.
  Action arrive(int i) {
    const Tick now = this->now();
    const int me = cpu(i);
    const Tick fetch = owner_ >= 0 ? sched_.platform().c2c_latency(owner_, me) : 0;
    const Tick done_at = std::max(now, line_free_) + fetch;
    line_free_ = done_at;
    owner_ = me;
    gen_[static_cast<std::size_t>(i)] = cur_gen_;
    phase_[static_cast<std::size_t>(i)] = kArriving;
    if (++arrived_ == threads_) {  // last: the release is written once our increment is done
      arrived_ = 0;
      released_gen_ = cur_gen_++;
      release_at_ = done_at;
      releaser_ = me;
      count_sync();
      for (int w = 0; w < threads_; ++w)
        if (w != i && phase_[static_cast<std::size_t>(w)] == kSpin)
          sched_.set_burst_left(tasks_[static_cast<std::size_t>(w)],
                                done_at - now + sched_.platform().c2c_latency(me, cpu(w)));
    }
    return Action::run(std::max<Tick>(done_at - now, 1));
  }

  // After our increment, the barrier was already released: spin until the release line
  // arrives, or go on at once when we released it ourselves.
  Action visible_or_work(int i) {
    const Tick now = this->now();
    const int me = cpu(i);
    const Tick vis =
        release_at_ + (releaser_ == me ? 0 : sched_.platform().c2c_latency(releaser_, me));
    if (vis > now) {
      phase_[static_cast<std::size_t>(i)] = kSpin;
      return Action::run(vis - now);
    }
    phase_[static_cast<std::size_t>(i)] = kWorking;
    return Action::run(work_);
  }

  std::string label_;
  bool barrier_;
  int threads_;
  Tick work_;
  std::int64_t iters_;
  std::vector<int> slot_, tasks_;
  std::vector<Phase> phase_;
  std::vector<std::int64_t> gen_;
  bool stopped_ = false;
  int live_ = 0;
  double syncs_ = 0;
  // pingpong state per pair: who holds the token, when and where it was written
  std::vector<int> holder_, wcpu_;
  std::vector<Tick> written_;
  // barrier state
  int arrived_ = 0, owner_ = -1, releaser_ = -1;
  std::int64_t cur_gen_ = 0, released_gen_ = -1;
  Tick line_free_ = 0, release_at_ = 0;
};

HETSIM_REGISTER(sim::Workload, Sync, "sync");

}  // namespace models
