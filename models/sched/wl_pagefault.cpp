// `page_fault`: will-it-scale's page-fault loop. Each thread of one process touches its
// page (an anonymous page fault: exception, handle_mm_fault, a zeroed folio), then drops it
// with madvise(MADV_DONTNEED), again and again. What that costs beyond the fault itself:
// - per-CPU LRU batches (mm/swap.c): a new folio goes into the CPU's lru_add folio_batch;
//   when the batch is full, folio_batch_move_lru puts its folios on the node's LRU under
//   lruvec->lru_lock, and the batch's references drop, so the folios the thread has since
//   zapped come off the LRU under the same lock (folios_put_refs). Threads of a node queue
//   on that lock; the lock's line moves from holder to holder at the c2c latency.
// - the zap's TLB flush (tlb_finish_mmu -> flush_tlb_mm_range) through the run's TLB
//   shootdown service and flush policy: IPIs to the other CPUs of the mm cpumask (the CPUs
//   the process's threads are on, est.) or INVLPGB; the thread spins until it completes.
// Reports page_fault.<name>.{faults_per_s,tlb_cpu_share,lru_lock_share,lru_drains,flushes,
// flush_wait_ns}.
#include "models/sched/wl_common.h"
#include "models/tlb/shootdown.h"

namespace models {

class PageFault : public SchedWorkload {
 public:
  static constexpr const char* kDoc =
      "will-it-scale page-fault loop: touch a page, MADV_DONTNEED it, repeat; per-CPU LRU "
      "batches drained under the node's lru_lock, and a TLB flush per zap through the run's "
      "flush policy.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = [] {
      sim::ParamList l = {
          sim::p_string(
              "label", "",
              "older spelling of the instance name: metrics are page_fault.LABEL.*; "
              "without it page_fault.INSTANCE.* (page_fault.pf.* for a lone unnamed one)"),
          sim::p_int("threads", 4, "threads of the process", 1, 100000),
          sim::p_string("pin", "", "cpulist; thread i runs only on its i-th CPU (wrapping)"),
          sim::p_time("fault", "0.6us",
                      "exception, handle_mm_fault and folio allocation, without zeroing (est.)"),
          sim::p_time("madvise", "0.4us",
                      "madvise system call, VMA walk, zap of one PTE, mmu_gather (est.)"),
          sim::p_int("lru_batch", 31, "folios per per-CPU LRU batch (PAGEVEC_SIZE, 6.x)", 1, 1024),
          sim::p_time("lru_op", "40ns",
                      "lru_lock hold time per folio added to or removed from the LRU (est.)"),
          sim::p_int("iterations", 0, "touch+drop cycles per thread (0 = until the stop time)", 0,
                     1e12),
      };
      add_task_params(l, "64KiB");
      return l;
    }();
    return p;
  }
  PageFault(sim::RunContext& ctx, const sim::Params& p)
      : SchedWorkload(ctx, p, "page_fault." + ctx.instance_label("page_fault", p.s("label"), "pf")),
        label_(ctx.instance_label("page_fault", p.s("label"), "pf")),
        threads_(count(p, "threads", 1)),
        fault_(p.time("fault")),
        madvise_(p.time("madvise")),
        batch_(static_cast<int>(p.i("lru_batch"))),
        lru_op_(p.time("lru_op")),
        iters_(p.i("iterations")),
        sd_(TlbShootdown::of(ctx)) {
    const Machine& pf = sched_.platform();
    // clear_page of a 4 KiB folio at the core's streaming rate.
    zero_ = static_cast<Tick>(4096.0 / pf.cpu_spec().memcpy_rate * static_cast<double>(sim::kSec));
    parse_pins(p);
    pending_.assign(static_cast<std::size_t>(pf.cpu_count()), 0);
    lock_free_.assign(static_cast<std::size_t>(pf.cpu_spec().sockets), 0);
    lock_owner_.assign(static_cast<std::size_t>(pf.cpu_spec().sockets), -1);
  }

  void start() override {
    for (int i = 0; i < threads_; ++i) {
      const int t = sched_.spawn(thread_spec(i));
      if (static_cast<int>(st_.size()) <= t) st_.resize(static_cast<std::size_t>(t) + 1);
      st_[static_cast<std::size_t>(t)].used = true;
      tasks_.push_back(t);
    }
    live_ = threads_;
    if (iters_ > 0) hold();
  }

  Action next(int t) override {
    State& s = st_[static_cast<std::size_t>(t)];
    switch (s.step) {
      case kTouch:
        if (iters_ > 0 && s.iter >= iters_) {
          if (--live_ == 0) done();
          return Action::exit();
        }
        s.step = kDrop;
        return Action::run(touch(t));
      case kDrop:
        s.step = kFlush;
        return Action::run(madvise_);
      case kFlush:
        return flush(t, s);
      case kFlushed:
        if (s.spin_pending) {  // CPU time of the spin, without interrupts taken meanwhile
          spin_cpu_ += sched_.cpu_time(t) - s.cpu_at_flush;
          s.spin_pending = false;
        }
        s.step = kTouch;
        ++s.iter;
        sched_.add_ops(1);
        return next(t);
    }
    return Action::exit();
  }

  void finish() override {
    auto& st = ctx_.sim().stats();
    const std::string p = "page_fault." + label_ + ".";
    const double secs = sim::to_seconds(elapsed());
    double faults = 0;
    Tick cpu = 0;
    for (int t : tasks_) {
      faults += static_cast<double>(st_[static_cast<std::size_t>(t)].faults);
      cpu += sched_.cpu_time(t);
    }
    // TLB work: the initiators' spins for the acknowledgements plus the IPI handlers, which
    // run as interrupts on the targets (time stolen from whatever runs there), out of the
    // CPU time the process used or lost to them.
    Tick handlers = 0;
    for (int c = 0; c < sched_.platform().cpu_count(); ++c) handlers += sd_.stall(c);
    const double total = static_cast<double>(cpu + handlers);
    st.set_metric(p + "faults_per_s", secs > 0 ? faults / secs : 0);
    st.set_metric(p + "tlb_cpu_share",
                  total > 0 ? static_cast<double>(spin_cpu_ + handlers) / total : 0);
    st.set_metric(p + "lru_lock_share", total > 0 ? static_cast<double>(lock_time_) / total : 0);
    st.set_metric(p + "lru_drains", static_cast<double>(drains_));
    st.set_metric(p + "flushes", static_cast<double>(flushes_));
    st.set_metric(p + "flush_wait_ns", flushes_ ? sim::to_ns(flush_wait_) / flushes_ : 0);
  }

 private:
  enum Step { kTouch, kDrop, kFlush, kFlushed };
  struct State {
    bool used = false;
    Step step = kTouch;
    std::int64_t iter = 0;
    std::uint64_t faults = 0;
    bool flush_done = false, spin_pending = false;
    Tick flush_start = 0, cpu_at_flush = 0;
  };
  static constexpr Tick kSpinCap = 10 * sim::kSec;

  // The fault, and when the CPU's LRU batch is full its drain under the node's lru_lock:
  // the lock is taken once the previous holder releases it and its line has arrived.
  Tick touch(int t) {
    State& s = st_[static_cast<std::size_t>(t)];
    ++s.faults;
    const int cpu = sched_.cpu_of(t);
    Tick work = fault_ + zero_;
    int& pend = pending_[static_cast<std::size_t>(cpu)];
    if (++pend < batch_) return work;
    pend = 0;
    ++drains_;
    const Machine& pf = sched_.platform();
    const std::size_t node =
        static_cast<std::size_t>(pf.cpus()[static_cast<std::size_t>(cpu)].socket);
    const Tick ready = ctx_.sim().now() + work;
    const int owner = lock_owner_[node];
    const Tick got =
        std::max(ready, lock_free_[node]) + (owner >= 0 ? pf.c2c_latency(owner, cpu) : 0);
    // The batch's folios go on the LRU, then the zapped ones come off it again.
    const Tick release = got + 2 * static_cast<Tick>(batch_) * lru_op_;
    lock_free_[node] = release;
    lock_owner_[node] = cpu;
    lock_time_ += release - ready;
    return work + (release - ready);
  }

  Action flush(int t, State& s) {
    s.step = kFlushed;
    s.flush_done = false;
    s.flush_start = ctx_.sim().now();
    s.cpu_at_flush = sched_.cpu_time(t);
    FlushRequest req;
    req.initiator = sched_.cpu_of(t);
    for (int o : tasks_) {
      const int c = sched_.cpu_of(o);
      if (std::find(req.cpumask.begin(), req.cpumask.end(), c) == req.cpumask.end())
        req.cpumask.push_back(c);
    }
    req.pages = 1;
    ++flushes_;
    sd_.flush(req, [this, t] {
      State& st = st_[static_cast<std::size_t>(t)];
      st.flush_done = true;
      flush_wait_ += ctx_.sim().now() - st.flush_start;
      sched_.set_burst_left(t, 0);  // the initiator stops spinning on the acknowledgements
      st.spin_pending = true;
    });
    // The initiator spins until the flush completes.
    return Action::run(s.flush_done ? 1 : kSpinCap);
  }

  std::string label_;
  int threads_;
  Tick fault_, madvise_;
  int batch_;
  Tick lru_op_;
  std::int64_t iters_;
  TlbShootdown& sd_;
  Tick zero_ = 0;
  std::vector<int> tasks_, pending_, lock_owner_;
  std::vector<Tick> lock_free_;
  std::vector<State> st_;
  int live_ = 0;
  std::uint64_t drains_ = 0, flushes_ = 0;
  Tick lock_time_ = 0, flush_wait_ = 0, spin_cpu_ = 0;
};

HETSIM_REGISTER(sim::Workload, PageFault, "page_fault");

}  // namespace models
