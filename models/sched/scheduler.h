#pragma once
// Per-CPU run queues with an EEVDF-like fair class (weights from nice, virtual runtime, lag,
// virtual deadlines, run-to-parity wakeup preemption), a 1000 Hz tick that stops on idle and
// nohz_full CPUs, wakeup placement in the spirit of select_task_rq_fair, affinity masks,
// cpusets and isolated CPUs, and a pluggable BalancePolicy. Tasks are driven by their
// workload through TaskClient::next(): each step is a CPU burst, a sleep, a block until
// another task wakes it, or exit. Events per burst are O(1): a burst is one completion event.
// The scheduler owns all CPU time (CpuExec): other models' kernel work runs in per-CPU kernel
// worker tasks and interrupts delay whatever runs on their CPU (kernel_time.cpp).
#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/cpu/cpu_exec.h"
#include "models/machine/machine.h"
#include "models/sched/balance.h"
#include "models/sched/topology.h"
#include "sim/chunked_fifo.h"
#include "sim/run_context.h"
#include "sim/stable_vector.h"
#include "sim/stats.h"

namespace models {

struct Action {
  enum Kind { Run, Block, Sleep, Exit } kind;
  Tick t = 0;
  static Action run(Tick work) { return {Run, work}; }
  static Action block() { return {Block, 0}; }
  static Action sleep(Tick d) { return {Sleep, d}; }
  static Action exit() { return {Exit, 0}; }
};

class TaskClient {
 public:
  virtual ~TaskClient() = default;
  // The task is on its CPU and needs its next step (after spawn, a wakeup, or a finished
  // burst). May wake other tasks through Scheduler::wake.
  virtual Action next(int task) = 0;
  // The task gets (`on`) or leaves its CPU: context_switch() is where an mm is switched.
  virtual void switched(int task, int cpu, bool on) {
    (void)task;
    (void)cpu;
    (void)on;
  }
};

struct TaskSpec {
  TaskClient* client = nullptr;
  int nice = 0;
  CpuMask allowed;                    // affinity & cpuset; empty = every housekeeping CPU
  std::uint64_t working_set = 0;      // bytes refilled after a cache-hot migration
  sim::Histogram* latency = nullptr;  // extra per-workload wakeup latency histogram
  Tick slice = 0;  // EEVDF slice the task asks for (sched_attr.sched_runtime); 0: the default
  // SCHED_DEADLINE (sched_attr sched_runtime, sched_deadline, sched_period; period 0 = the
  // deadline). dl_runtime 0: a fair task. Admission: Scheduler::dl_refusal (deadline.cpp).
  Tick dl_runtime = 0, dl_deadline = 0, dl_period = 0;
  sim::Where dl_where;  // where the attributes come from: a refusal is an input error there
};

class Scheduler final : public SchedView, public CpuExec {
 public:
  static const sim::ParamList& params();  // the machine's "sched" section
  // The run's scheduler, built on first use with the scenario's "balance" policy.
  static Scheduler& of(sim::RunContext& ctx);
  Scheduler(sim::RunContext& ctx, Machine& pf);
  ~Scheduler() override;

  int spawn(const TaskSpec& spec, int parent_cpu = -1);
  // Why sched_setattr would refuse `spec`'s SCHED_DEADLINE parameters (invalid attributes,
  // affinity narrower than the root domain, or bandwidth over sched_rt_runtime/sched_rt_period
  // of the root domain's CPUs with the tasks admitted so far); "" when it would admit them.
  std::string dl_refusal(const TaskSpec& spec) const;
  // Wakes a blocked or sleeping task; false if it was runnable already. `waker_cpu` is -1
  // for wakeups from a timer or a device.
  bool wake(int task, int waker_cpu, bool sync = false) {
    const Life l = life_[static_cast<std::size_t>(task)];
    if ((l.state != State::Blocked && l.state != State::Sleeping) || l.waking) return false;
    return wake_sleeper(task, waker_cpu, sync);
  }
  bool sleeping(int task) const;
  // A spinning task sees what it waits for: its current burst needs at most `left` more CPU
  // time (it ends `left` from now if it keeps its CPU). No effect on a task without a burst.
  void set_burst_left(int task, Tick left);
  int cpu_of(int task) const { return tasks_[static_cast<std::size_t>(task)].cpu; }
  Tick cpu_time(int task) const { return tasks_[static_cast<std::size_t>(task)].cpu_time; }
  // The same, with the running task's current burst accounted up to now.
  Tick cpu_time_now(int task);
  void add_ops(double n) { ops_->add(n); }
  Machine& platform() { return pf_; }
  const CpuMask& isolated() const { return isolated_; }
  // A workload's "cpus"/"cpuset" strings -> allowed mask (empty strings = no restriction).
  CpuMask parse_allowed(const std::string& affinity, const sim::Where& aw,
                        const std::string& cpuset, const sim::Where& cw) const;

  // SchedView
  Tick now() const override { return sim_.now(); }
  const SchedTopology& topo() const override { return *topo_; }
  const SchedCosts& costs() const override { return costs_; }
  int nr_running(int cpu) const override { return nr_[static_cast<std::size_t>(cpu)]; }
  const std::vector<int>& queued(int cpu) const override { return rq(cpu).queue; }
  bool allowed(int task, int cpu) const override {
    return tasks_[static_cast<std::size_t>(task)].allowed->test(cpu);
  }
  bool cache_hot(int task) const override;
  bool all_queued_hot(int cpu) const override {
    return now() < cold_at_[static_cast<std::size_t>(cpu)];
  }
  bool all_overloaded_hot(int llc) const override;
  Tick avg_idle(int cpu) const override { return rq(cpu).avg_idle; }
  const CpuMask& idle_mask(int llc) const override {
    return llc_idle_[static_cast<std::size_t>(llc)];
  }
  const CpuMask& overloaded_mask(int llc) const override {
    return llc_over_[static_cast<std::size_t>(llc)];
  }
  int overloaded_count(int llc) const override { return llc_nover_[static_cast<std::size_t>(llc)]; }
  int llc_nr(int llc) const override { return llc_nr_[static_cast<std::size_t>(llc)]; }
  int node_nr(int node) const override { return node_nr_[static_cast<std::size_t>(node)]; }
  int overloaded_cpus() const override { return overloaded_; }
  int idle_cpus() const override { return idle_total_; }
  Tick c2c(int a, int b) const override { return pf_.c2c_latency(a, b); }
  const CpuMask& nohz_idle_mask() const override { return nohz_all_; }
  const CpuMask& nohz_idle_mask(int llc) const override {
    return nohz_llc_[static_cast<std::size_t>(llc)];
  }
  int nohz_idle_count_node(int node) const override {
    return nohz_node_nr_[static_cast<std::size_t>(node)];
  }
  int nohz_writer(int llc) const override {
    return llc < 0 ? nohz_writer_all_ : nohz_writer_llc_[static_cast<std::size_t>(llc)];
  }
  bool nohz_full(int cpu) const override { return rq(cpu).nohz_full; }
  int task_count() const override { return static_cast<int>(tasks_.size()); }

  // CpuExec
  void kernel(int cpu, Tick work, std::function<void()> done) override;
  void kernel_stream(int cpu, Stream item) override;
  std::uint64_t kernel_spin(int cpu, Stream item) override;
  void release_spin(int cpu, std::uint64_t id) override;
  void irq(int cpu, Tick work, std::function<void()> done) override;
  void steal(int cpu, Tick work) override;
  int cpu_count() const override { return static_cast<int>(rqs_.size()); }
  bool idle(int cpu) const override;
  Tick busy(int cpu, CpuExec::Kind kind) const override;
  std::uint64_t interrupts(int cpu) const override { return rq(cpu).irqs; }
  // The task id of `cpu`'s kernel worker, -1 before the CPU's first kernel work.
  int kworker(int cpu) const { return rq(cpu).kworker; }

 private:
  enum class State : std::uint8_t { Running, Runnable, Blocked, Sleeping, Dead };
  enum class Cause { Fork, Wakeup, Balance };
  enum Charge {
    kCtxSwitch,
    kNewidle,
    kTick,
    kSwitchHook,
    kKick,
    kWakeScan,
    kIpi,
    kSteal,
    kWakeup,
    kCharges
  };
  // Hot fields first: a wakeup, a pick and a burst's accounting read the first 64 bytes.
  struct alignas(64) Task {
    TaskClient* client;
    // Affinity & cpuset: the topology's housekeeping mask (shared, so it stays in cache) or
    // the task's own in custom_masks_.
    const CpuMask* allowed;
    double vruntime = 0, deadline = 0;
    Tick remaining = 0, refill = 0;
    int id;
    int weight;
    int cpu = -1;
    bool woken = false;
    bool started = false;  // has a step to run (false: next() decides at dispatch)
    // Second line: placement, sleep and time accounting.
    bool dl = false, dl_throttled = false;
    bool pinned_isolated;  // allowed only on isolated CPUs
    bool kworker = false;
    int only_cpu = -1;  // the one CPU it may run on, -1 if several
    double vlag = 0;
    Tick last_ran = 0;
    Tick wake_time = 0;
    Tick cpu_time = 0;
    std::uint64_t sleep_token = 0;
    Tick slice = 0;
    std::uint64_t ws_lines;
    sim::Histogram* latency;
    // SCHED_DEADLINE: the constant-bandwidth server (deadline.cpp).
    int dl_rd = 0;  // root domain: 0 housekeeping CPUs, 1 isolated CPUs
    Tick dl_runtime = 0, dl_deadline = 0, dl_period = 0;
    Tick dl_abs = 0;           // absolute deadline
    std::int64_t dl_left = 0;  // runtime left in this period (ps; negative = overrun)
  };
  // Hot fields first (a burst's end, an enqueue, a pick): the first two cache lines.
  struct alignas(64) Rq {
    int curr = -1;
    int last = -1;         // last task that ran (a context switch is paid when another one runs)
    bool in_step = false;  // inside next(): resched is deferred
    bool need_resched = false;
    bool kick_pending = false;
    // A charge on the running task moves seg_end later without a new event: the pending one
    // re-arms at seg_end, in the same-time order reserved by the last charge.
    bool rearm = false;
    bool housekeeping = true, nohz_full = false;
    bool tick_on = false;
    bool nohz_idle = false;  // in nohz.idle_cpus_mask
    std::int64_t sum_w = 0;
    double sum_wv = 0, vclock = 0;
    Tick seg_acc = 0, seg_end = 0;
    Tick seg_ov = 0;
    std::uint64_t token = 0;  // names the pending burst-end event; bumped to cancel it
    std::uint64_t rearm_order = 0;
    Tick busy_until = 0;
    Tick step_wakes = 0;
    std::vector<int> queue;
    // Idle, tick and balance state.
    std::uint64_t tick_token = 0;  // names the armed tick event; bumped to cancel it
    // A tick event is armed at tick_at, wanted (tick_on) or not. A CPU busy again before it
    // reuses it, running it at the place tick_order reserved (tick_reserved); a deferred tick
    // stop due then is checked by it, at the place nohz_order reserved, for idle entry
    // nohz_tick_gen (0: none). Either way, the run is the one separate events would give.
    bool tick_pending = false, tick_reserved = false;
    Tick tick_at = 0;
    std::uint64_t tick_order = 0, nohz_order = 0, nohz_tick_gen = 0;
    Tick idle_since = 0;
    Tick avg_idle = 0;
    std::vector<Tick> checkpoints;  // where an idle balance in progress may stop early
    Tick balance_end = 0;
    Charge balance_kind = kNewidle;  // waker time spent on wakeups during this step
    std::uint64_t idle_gen = 0;      // counts idle entries (a deferred tick stop checks it)
    Tick on_since = 0;               // when curr got the CPU (for trace slices)
    int kworker = -1;                // the CPU's kernel worker task
    Tick irq_free_at = 0, irq_time = 0;
    std::uint64_t irqs = 0;
    std::vector<int> dlq;        // queued deadline tasks (EDF; run before the fair queue)
    std::uint64_t dl_token = 0;  // invalidates a pending runtime-exhaustion event
  };
  // kworker/N: a task pinned to its CPU that runs other models' kernel work in FIFO order,
  // blocks when it has none and is woken when work is queued.
  struct KWorker final : TaskClient {
    // A plain item has neither `more` nor `on_cpu`; a spin (kernel_spin) has an id.
    struct Item : CpuExec::Stream {
      explicit Item(CpuExec::Stream s) : CpuExec::Stream(std::move(s)) {}
      std::uint64_t spin = 0;
      bool released = false;
    };
    sim::ChunkedFifo<Item> items;  // references stay valid while items are queued
    bool in_progress = false;      // items.front() is the burst being run
    Action next(int task) override;
    void switched(int task, int cpu, bool on) override;
  };

  Rq& rq(int cpu) { return rqs_[static_cast<std::size_t>(cpu)]; }
  const Rq& rq(int cpu) const { return rqs_[static_cast<std::size_t>(cpu)]; }
  Task& task(int t) { return tasks_[static_cast<std::size_t>(t)]; }
  // A task's state, kept apart from the Task in a dense array: a wakeup's "is it asleep?"
  // (most of a hackbench sender's wakeups find the reader awake) reads 2 bytes, not a line.
  struct Life {
    State state = State::Runnable;
    bool waking = false;  // a deferred wakeup is on its way
  };
  Life& life(int t) { return life_[static_cast<std::size_t>(t)]; }
  State& state(const Task& t) { return life(t.id).state; }

  double avg_vruntime(const Rq& r) const {
    return r.sum_w ? r.sum_wv / static_cast<double>(r.sum_w) : r.vclock;
  }
  double vslice(const Task& t) const {
    return static_cast<double>(t.slice ? t.slice : slice_) * 1024.0 / t.weight;
  }
  void account_add(Rq& r, const Task& t);
  void account_remove(Rq& r, const Task& t);
  int pick_eevdf(const Rq& r, bool include_curr) const;
  void set_nr(int cpu, int nr);
  // SCHED_DEADLINE (deadline.cpp).
  bool has_work(const Rq& r) const { return !r.queue.empty() || !r.dlq.empty(); }
  void queue_push(int cpu, const Task& t);  // the fair queue's one way in
  void queue_erase(int cpu, std::vector<int>::iterator it);
  int pick_dl(const Rq& r) const;
  bool dl_preempts(const Rq& r, const Task& woken) const;
  int select_dl_cpu(const Task& t, int prev) const;
  void dl_setup(Task& t, const TaskSpec& spec);
  void dl_activate(Task& t, Cause cause);  // CBS rules on enqueue
  void dl_arm(int cpu, const Task& t);     // runtime-exhaustion event for curr
  void on_dl_budget(std::uint64_t arg);
  void dl_throttle(int cpu, Task& t);
  void on_dl_replenish(std::uint64_t arg);
  void dl_exit(Task& t);
  void dl_stats();
  void note_llc(int llc);

  int select_wake_cpu(Task& t, int waker_cpu, bool sync);
  int select_fork_cpu(const Task& t, int hint);
  void enqueue(int cpu, Task& t, Cause cause, int waker_cpu);
  void dequeue_queued(int cpu, Task& t);
  void leave_cpu(int cpu, Task& t);              // curr stops being runnable
  void park(int cpu, Task& t, const Action& a);  // curr blocks, sleeps or exits

  void kick(int cpu, Tick delay);
  void on_kick_event(std::uint64_t cpu);
  void schedule(int cpu);
  void start_segment(int cpu, Task& t, Tick begin);
  void arm_burst(int cpu);  // a new burst-end event at seg_end (cancels the pending one)
  void on_burst_done(std::uint64_t arg);
  void update_curr(int cpu);
  void preempt(int cpu);
  bool should_preempt(const Rq& r, const Task& woken) const;
  void charge(int cpu, Tick d, Charge kind);
  void ensure_tick(int cpu);
  void on_tick(std::uint64_t arg);
  void on_timer(std::uint64_t arg);
  void on_deferred_wake(std::uint64_t arg);
  bool wake_sleeper(int task, int waker_cpu, bool sync);  // wake() of a blocked/sleeping task
  bool do_wake(int task, int waker_cpu, bool sync);
  void on_sample();
  void apply(int cpu, BalanceDecision&& d, Charge kind);
  void commit(const std::vector<Move>& moves);
  void on_balance_kick(std::uint64_t cpu);
  void nohz_idle_entry(int cpu);
  void on_nohz_stop(std::uint64_t arg);
  void nohz_stop(int cpu, std::uint64_t gen);
  Tick next_tick(int cpu, Tick t) const;
  void nohz_set(int cpu, bool in);
  void finish();
  int add_task(const TaskSpec& spec);
  int make_kworker(int cpu);
  void queue_kernel(int cpu, KWorker::Item item);
  // A spin that is never released ends after this much CPU time.
  static constexpr Tick kSpinLimit = sim::kSec;
  std::uint64_t spins_ = 0;
  // Trace output (only when a trace is asked for): the task leaving `cpu` as a slice, and
  // an arrow for a wakeup or an IPI.
  void trace_off(int cpu, const Task& t, const char* why);
  void trace_arrow(int from, int to, Tick arrives, const char* what);

  sim::RunContext& ctx_;
  sim::Simulator& sim_;
  Machine& pf_;
  std::unique_ptr<SchedTopology> topo_;
  std::unique_ptr<BalancePolicy> policy_;
  SchedCosts costs_{};
  Tick slice_ = 0, ctx_switch_ = 0, wakeup_cost_ = 0, idle_exit_ = 0, sample_period_ = 0;
  double refill_mlp_ = 8;
  int imbalance_pct_ = 117;
  bool run_to_parity_ = true, preempt_short_ = true, delay_dequeue_ = false, tick_skew_ = true;
  CpuMask isolated_, nohz_full_mask_;
  std::vector<Rq> rqs_;
  // By CPU: no task queued there stops being cache-hot before this (a lower bound: a task
  // that leaves the queue keeps it; an empty queue resets it). Queued tasks do not run, so
  // their last_ran and cpu_time stay as they were when they joined.
  std::vector<Tick> cold_at_;
  // By LLC: a lower bound of its CPUs' cold_at_, lowered by every queued task and recomputed
  // when it has passed (all_overloaded_hot).
  mutable std::vector<Tick> llc_cold_at_;
  // Each run queue's nr_running (written by set_nr only), kept apart from the run queues so
  // that scans over an LLC or a domain read one cache line per 16 CPUs, not one per queue.
  std::vector<int> nr_;
  sim::StableVector<Task> tasks_;  // stable references: next() may spawn tasks
  std::vector<Life> life_;         // by task id
  std::vector<std::unique_ptr<CpuMask>> custom_masks_;
  std::vector<std::unique_ptr<KWorker>> kworkers_;
  std::vector<CpuMask> llc_idle_, llc_over_;
  std::vector<Tick> scan_all_cost_;  // select_idle_cpu reading every other run queue of the LLC
  // select_idle_cpu from CPU a stopping i CPUs further on in its LLC's wrap order: the run
  // queues it read cost walk_cost_[walk_row_[a] + i]. llc_pos_: a CPU's index in its LLC.
  std::vector<Tick> walk_cost_;
  std::vector<std::size_t> walk_row_;
  std::vector<int> llc_pos_;
  std::vector<int> llc_nr_, node_nr_;
  int overloaded_ = 0, idle_total_ = 0;
  std::vector<int> llc_nidle_, llc_nover_;
  std::vector<Tick> llc_last_;
  CpuMask nohz_all_;
  std::vector<CpuMask> nohz_llc_;
  std::vector<int> nohz_node_nr_, nohz_writer_llc_;
  int nohz_writer_all_ = -1;
  double idle_waiting_ = 0;  // CPU-ps idle while an LLC sibling had waiting tasks
  std::size_t fork_rr_ = 0;
  bool sampling_ = false;

  sim::Counter *ops_, *bursts_started_, *bursts_done_, *violations_, *iso_violations_;
  sim::Counter *ctx_switches_, *preemptions_, *wakeups_, *stale_moves_;
  std::array<sim::Counter*, 6> mig_dist_{};
  std::array<sim::Counter*, 3> mig_cause_{};
  std::array<sim::Counter*, kCharges> charge_ns_{};
  sim::Counter* nohz_enters_;
  sim::Counter *ipi_resched_, *ipi_kick_, *refill_ns_, *work_issued_ns_, *work_done_ns_;
  sim::Histogram* wake_lat_;
  // SCHED_DEADLINE bandwidth admitted per root domain and its counters (made with the first
  // deadline task, so runs without one report nothing new).
  std::array<double, 2> dl_bw_{};
  double dl_cap_ = 0.95;  // sched_rt_runtime_us / sched_rt_period_us
  sim::Counter *dl_throttles_ = nullptr, *dl_new_deadlines_ = nullptr, *dl_misses_ = nullptr;
  sim::Counter* dl_replenishments_ = nullptr;
  sim::TimeAverage *imbalance_, *rq_max_;
};

}  // namespace models
