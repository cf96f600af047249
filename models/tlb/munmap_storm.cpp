// `munmap_storm`: a process spread over N CPUs (a training job) computes in small work
// units that touch its mappings through the TLB; every step, `unmappers` of its threads
// munmap all M live mappings of S bytes (4 KiB or 2 MiB pages) and map M fresh ones, as a
// job swapping weight buffers does. Its threads are scheduler tasks, one pinned per CPU. An
// unmapping thread, at the end of its current work unit, clears the PTEs of each mapping
// (kernel time in its own context) and flushes through the run's flush policy, spinning for
// the acknowledgements; the IPIs steal time from the other threads, and full flushes make
// the TLBs refill. With duty < 1 each other thread shares its CPU with a CPU-bound task of
// another process (EEVDF, weights leaving the job `duty` of the CPU): a CPU switches mm when
// that task gets it, so some of the mm cpumask is not running the mm when a flush comes.
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "models/machine/machine.h"
#include "models/sched/scheduler.h"
#include "models/tlb/shootdown.h"
#include "sim/cpulist.h"
#include "sim/rng.h"
#include "sim/run_context.h"

namespace models {

class MunmapStorm : public sim::Workload, public TaskClient {
 public:
  static constexpr const char* kDoc =
      "A process on `cpus` CPUs munmaps `mappings` mappings of `size` bytes per step (4KiB or 2MiB "
      "pages) and "
      "maps fresh ones; the other threads compute in units touching the mappings through their "
      "TLBs.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_string("cpus", "0-63", "CPUs the process runs on (cpulist)"),
        sim::p_int("steps", 3, "training steps (one storm each)", 1, 1 << 20),
        sim::p_int("mappings", 256, "mappings unmapped (and replaced) per step", 1, 1 << 24),
        sim::p_size("size", "2MiB", "bytes per mapping"),
        sim::p_choice("page_size", "4KiB", {"4KiB", "2MiB"}, "page size backing the mappings"),
        sim::p_int("unmappers", 1,
                   "threads issuing the munmaps of a step (on the lowest CPUs of the process)", 1,
                   1 << 16),
        sim::p_time("unmap_base", "1us", "munmap system call and VMA work, per call (est.)"),
        sim::p_time("pte_cost", "5ns", "clearing one PTE (zap_pte_range), per page (est.)"),
        sim::p_time("unit", "50us", "compute of one work unit, without translation costs"),
        sim::p_int("touches", 64, "page accesses per work unit that go through the TLB", 0,
                   1 << 20),
        sim::p_time("step_gap", "1ms", "compute time between two storms"),
        sim::p_double("duty", 1.0,
                      "share of the CPU that non-unmapping threads get; the rest goes to a "
                      "CPU-bound task of another mm, at the nice value whose weight leaves this "
                      "share",
                      0.0, 1.0),
        sim::p_time("slice", "1ms",
                    "EEVDF slice (sched_runtime) the job's threads and the other task ask for"),
        sim::p_bool("device_mapped", true, "mappings are mirrored by a GPU (MMU notifier)"),
        sim::p_bool("check_stale", false,
                    "after every returned unmap, look for usable stale entries (slow)"),
    };
    return p;
  }

  MunmapStorm(sim::RunContext& ctx, const sim::Params& p)
      : ctx_(ctx),
        pf_(Machine::of(ctx)),
        sd_(TlbShootdown::of(ctx)),
        rng_(ctx.sim().seed(), "munmap_storm") {
    cpu_of_ = sim::parse_cpulist(p.s("cpus"), static_cast<std::uint64_t>(pf_.cpu_count()),
                                 p.where("cpus"));
    if (cpu_of_.empty()) p.where("cpus").fail("at least one CPU", "an empty cpulist");
    ncpu_ = static_cast<int>(cpu_of_.size());
    steps_ = static_cast<int>(p.i("steps"));
    mappings_ = static_cast<std::size_t>(p.i("mappings"));
    shift_ = p.s("page_size") == "2MiB" ? 21 : 12;
    const std::uint64_t size = p.size("size");
    if (size == 0 || size % (1ULL << shift_) != 0)
      p.where("size").fail("a positive multiple of the page size", std::to_string(size) + " bytes");
    pages_ = size >> shift_;
    unmappers_ = static_cast<int>(p.i("unmappers"));
    if (unmappers_ > ncpu_) p.where("unmappers").fail("at most `cpus`", std::to_string(unmappers_));
    unmap_base_ = p.time("unmap_base");
    pte_cost_ = p.time("pte_cost");
    unit_ = p.time("unit");
    touches_ = static_cast<int>(p.i("touches"));
    gap_ = p.time("step_gap");
    duty_ = p.d("duty");
    slice_ = p.time("slice");
    if (duty_ <= 0.0) p.where("duty").fail("a share above 0", "0");
    device_ = p.b("device_mapped");
    check_ = p.b("check_stale");
    cpus_.resize(static_cast<std::size_t>(ncpu_));
    pending_check_.resize(static_cast<std::size_t>(unmappers_));
    sched_ = &Scheduler::of(ctx);
    auto& st = ctx.sim().stats();
    unmap_lat_ = &st.histogram("munmap.unmap_latency", "us", static_cast<double>(sim::kUs));
    step_lat_ = &st.histogram("munmap.storm_time", "us", static_cast<double>(sim::kUs));
    stale_ = &st.counter("tlb.stale_violations");
  }

  void start() override {
    ctx_.hold();
    mm_ = sd_.mms().create("munmap_storm").id();
    for (std::size_t i = 0; i < mappings_; ++i) map_one();
    // The other process's weight leaves the job `duty` of a shared CPU (weights grow 1.25x
    // per nice step, sched_prio_to_weight).
    const int other_nice =
        duty_ < 1.0
            ? static_cast<int>(std::lround(std::log(duty_ / (1.0 - duty_)) / std::log(1.25)))
            : 0;
    slot_of_task_.clear();
    for (int i = 0; i < ncpu_; ++i) {
      const int cpu = cpu_at(i);
      TaskSpec spec;
      spec.client = this;
      spec.allowed = CpuMask(pf_.cpu_count());
      spec.allowed.set(cpu);
      spec.slice = slice_;
      TaskSpec other = spec;
      other.nice = std::clamp(other_nice, -20, 19);
      const bool shared = duty_ < 1.0 && i >= unmappers_;
      // Both tasks of a shared CPU are runnable from the start; which one runs first is
      // drawn, so that the CPUs' phases are spread and they do not all run the same mm in
      // the same tick (EEVDF then alternates them at ticks).
      const bool other_first = shared && rng_.below(2) == 1;
      if (other_first) note_task(sched_->spawn(other), -1);
      cpus_[static_cast<std::size_t>(i)].task = sched_->spawn(spec);
      note_task(cpus_[static_cast<std::size_t>(i)].task, i);
      if (shared && !other_first) note_task(sched_->spawn(other), -1);
    }
    ctx_.sim().call_after(gap_, [this] { start_step(); });
  }

  Action next(int task) override {
    const int s = slot_of_task_[static_cast<std::size_t>(task)];
    if (s < 0) return other_next();
    PerCpu& c = cpus_[static_cast<std::size_t>(s)];
    if (c.in_unit) {
      c.in_unit = false;
      ++units_;
    }
    if (done_) return Action::exit();
    if (c.unmapping) {
      Action a = Action::block();
      if (unmap_step(s, a)) return a;
      if (done_) return Action::exit();
    }
    return Action::run(unit_time(s));
  }

  // A job thread on its CPU runs the mm (switch_mm, which may flush); the other process's
  // task takes the CPU to its own mm. Kernel workers and idle keep the mm (lazy TLB).
  void switched(int task, int cpu, bool on) override {
    if (done_) return;
    const int s = slot_of_task_[static_cast<std::size_t>(task)];
    if (s < 0) {
      if (on) sd_.switch_mm(cpu, -1);
      return;
    }
    PerCpu& c = cpus_[static_cast<std::size_t>(s)];
    const Tick now = ctx_.sim().now();
    if (on) {
      c.on = true;
      c.on_since = now;
      c.irq_at_on = pf_.exec().busy(cpu, CpuExec::Kind::Irq);
      const Tick flush = sd_.switch_mm(cpu, mm_);
      if (check_) check_stale_on(cpu, unmapped_);
      if (flush > 0) pf_.exec().steal(cpu, flush);
    } else {
      close_on(s);
    }
  }

  void finish() override {
    auto& st = ctx_.sim().stats();
    const Tick end = end_ ? end_ : ctx_.sim().now();
    const double secs = sim::to_seconds(end);
    double recv_sum = 0, recv_max = 0, stall_sum = 0, stall_max = 0, on = 0, stolen = 0, spin = 0;
    for (int i = 0; i < ncpu_; ++i) {
      const int cpu = cpu_at(i);
      const PerCpu& c = cpus_[static_cast<std::size_t>(i)];
      const double r = static_cast<double>(sd_.ipis_received(cpu));
      recv_sum += r;
      recv_max = std::max(recv_max, r);
      const double s = sim::to_us(sd_.stall(cpu));
      stall_sum += s;
      stall_max = std::max(stall_max, s);
      on += static_cast<double>(c.on_time + (c.on ? end - c.on_since : 0));
      stolen += static_cast<double>(c.stolen - std::min(c.stolen, c.irq_unmapping));
      spin += static_cast<double>(c.unmap_time);
    }
    const double work = static_cast<double>(units_) * static_cast<double>(unit_) + partial_;
    st.set_metric("munmap.cpus", ncpu_);
    st.set_metric("munmap.elapsed_ms", sim::to_us(end) / 1000.0);
    st.set_metric("tlb.ipis_recv_per_cpu_per_s", secs > 0 ? recv_sum / ncpu_ / secs : 0);
    st.set_metric("tlb.ipis_recv_per_cpu_per_s_max", secs > 0 ? recv_max / secs : 0);
    st.set_metric("tlb.ipis_sent_per_s", secs > 0 ? static_cast<double>(sd_.ipis()) / secs : 0);
    st.set_metric("tlb.ipis_per_unmap", unmaps_ ? static_cast<double>(sd_.ipis()) / unmaps_ : 0);
    st.set_metric("tlb.stall_per_cpu_us", stall_sum / ncpu_);
    st.set_metric("tlb.stall_per_cpu_us_max", stall_max);
    st.set_metric(
        "tlb.stall_per_ipi_us",
        sd_.ipis() ? sd_.target_stall_ns() / 1000.0 / static_cast<double>(sd_.ipis()) : 0);
    const double hits = sd_.hits(), misses = sd_.misses();
    st.set_metric("tlb.miss_rate", hits + misses > 0 ? misses / (hits + misses) : 0);
    // Time on the CPU that did not go into the job's nominal compute.
    st.set_metric("munmap.throughput_lost", on > 0 ? std::max(0.0, 1.0 - work / on) : 0);
    // The same loss in CPU time, per step: comparable between runs whose storms last differently.
    st.set_metric(
        "munmap.job_time_lost_ms_per_step",
        std::max(0.0, on - work) / static_cast<double>(sim::kMs) / static_cast<double>(steps_));
    st.set_metric("munmap.lost_to_irqs", on > 0 ? stolen / on : 0);
    st.set_metric("munmap.lost_to_unmapping", on > 0 ? spin / on : 0);
    st.set_metric("munmap.lost_to_tlb_misses", on > 0 ? static_cast<double>(translate_) / on : 0);
    st.set_metric("munmap.unmaps", static_cast<double>(unmaps_));
  }

 private:
  struct Mapping {
    std::uint64_t first, pages;
    bool alive;
  };
  struct PerCpu {
    int task = -1;
    bool on = false, in_unit = false, unmapping = false, begun = false;
    bool zapping = false, flushing = false, spinning = false;
    Tick on_since = 0, on_time = 0, irq_at_on = 0, irq_at_unmap = 0, irq_unmapping = 0;
    Tick stolen = 0, unmap_time = 0, unmap_start = 0, call_start = 0;
    Tick unit_len = 0, unit_cpu0 = 0;  // the unit in progress: its burst, CPU time at its start
    std::size_t pos = 0;               // next mapping of the unmapper's list
  };
  static constexpr Tick kSpin = sim::kSec;  // cut short when the flush completes

  void note_task(int task, int slot) {
    if (slot_of_task_.size() <= static_cast<std::size_t>(task))
      slot_of_task_.resize(static_cast<std::size_t>(task) + 1, -1);
    slot_of_task_[static_cast<std::size_t>(task)] = slot;
  }

  // The job thread of slot i leaves its CPU: its time there and the interrupts in it.
  void close_on(int i) {
    PerCpu& c = cpus_[static_cast<std::size_t>(i)];
    if (!c.on) return;
    c.on = false;
    c.on_time += ctx_.sim().now() - c.on_since;
    c.stolen += pf_.exec().busy(cpu_at(i), CpuExec::Kind::Irq) - c.irq_at_on;
  }

  // The other process computes without end.
  Action other_next() { return done_ ? Action::exit() : Action::run(sim::kMs); }

  void map_one() {
    live_.push_back({next_vpn_, pages_, true});
    next_vpn_ += pages_;
  }

  // One work unit of slot i: its compute and the translations of its page accesses.
  Tick unit_time(int i) {
    Tick t = unit_;
    // The unit's pages are drawn first (the same draws in the same order), so that their TLB
    // sets are fetched from memory together before the lookups run one after another.
    // The stream is copied in and out so that its state stays in registers through the loop.
    std::vector<std::uint64_t>& pages = unit_pages_;
    pages.resize(live_.empty() ? 0 : static_cast<std::size_t>(touches_));
    std::size_t n = 0;
    sim::Rng rng = rng_;
    for (std::size_t k = 0; k < pages.size(); ++k) {
      const Mapping& m = live_[rng.below(live_.size())];
      if (m.alive) pages[n++] = m.first + rng.below(m.pages);
    }
    rng_ = rng;
    pages.resize(n);
    const Tick x = sd_.access_all(cpu_at(i), mm_, shift_, pages);
    t += x;
    translate_ += x;
    PerCpu& c = cpus_[static_cast<std::size_t>(i)];
    c.in_unit = true;
    c.unit_len = t;
    c.unit_cpu0 = sched_->cpu_time(c.task);
    return t;
  }

  // --- the storm ---
  void start_step() {
    step_start_ = ctx_.sim().now();
    work_.assign(static_cast<std::size_t>(unmappers_), {});
    for (std::size_t k = 0; k < live_.size(); ++k)
      if (live_[k].alive) work_[k % static_cast<std::size_t>(unmappers_)].push_back(k);
    busy_unmappers_ = 0;
    for (int u = 0; u < unmappers_; ++u) {
      if (work_[static_cast<std::size_t>(u)].empty()) continue;
      ++busy_unmappers_;
      PerCpu& c = cpus_[static_cast<std::size_t>(u)];
      c.unmapping = true;  // from the end of its current work unit
      c.begun = false;
      c.pos = 0;
    }
    if (busy_unmappers_ == 0) end_step();
  }

  // The unmapping thread's next step: clear one mapping's PTEs (munmap's kernel side, in the
  // thread's own context), then flush and spin until the flush is acknowledged. False when
  // its list is done.
  bool unmap_step(int u, Action& a) {
    PerCpu& c = cpus_[static_cast<std::size_t>(u)];
    const std::vector<std::size_t>& list = work_[static_cast<std::size_t>(u)];
    const Tick now = ctx_.sim().now();
    c.spinning = false;
    if (!c.begun) {
      c.begun = true;
      c.unmap_start = now;
      c.irq_at_unmap = pf_.exec().busy(cpu_at(u), CpuExec::Kind::Irq);
    }
    if (c.zapping) {
      c.zapping = false;
      issue_flush(u);
      if (c.flushing) {
        c.spinning = true;
        a = Action::run(kSpin);
        return true;
      }
    }
    if (c.pos == list.size()) {
      c.unmapping = false;
      c.unmap_time += now - c.unmap_start;
      // Interrupts during the unmapping are part of its time, not of the compute's loss.
      c.irq_unmapping += pf_.exec().busy(cpu_at(u), CpuExec::Kind::Irq) - c.irq_at_unmap;
      if (--busy_unmappers_ == 0) end_step();
      return false;
    }
    c.zapping = true;
    c.call_start = now;
    a = Action::run(unmap_base_ + pages_ * pte_cost_);
    return true;
  }

  void issue_flush(int u) {
    PerCpu& c = cpus_[static_cast<std::size_t>(u)];
    const std::vector<std::size_t>& list = work_[static_cast<std::size_t>(u)];
    Mapping& m = live_[list[c.pos]];
    m.alive = false;
    ++unmaps_;
    const bool last = c.pos + 1 == list.size();
    FlushRequest& req = req_;  // reused: its range list keeps its capacity
    req.initiator = cpu_at(u);
    req.pages = m.pages;
    req.mm = mm_;
    req.page_shift = shift_;
    req.ranges.clear();
    req.ranges.push_back(VaRange{m.first, m.pages});
    req.more = !last;
    req.device = device_;
    if (check_) pending_check_[static_cast<std::size_t>(u)].push_back(VaRange{m.first, m.pages});
    c.flushing = true;
    sd_.flush(req, [this, u, last] {
      PerCpu& cc = cpus_[static_cast<std::size_t>(u)];
      unmap_lat_->record(ctx_.sim().now() - cc.call_start);
      if (last && check_) check_stale(u);
      ++cc.pos;
      cc.flushing = false;
      if (cc.spinning) sched_->set_burst_left(cc.task, 0);
    });
  }

  // Every unmap whose call returned must be gone from every TLB that could use it.
  void check_stale(int u) {
    std::vector<VaRange>& mine = pending_check_[static_cast<std::size_t>(u)];
    for (int c = 0; c < pf_.cpu_count(); ++c) check_stale_on(c, mine);
    unmapped_.insert(unmapped_.end(), mine.begin(), mine.end());
    mine.clear();
  }
  // A CPU that comes back to the mm must not find anything unmapped while it was away.
  void check_stale_on(int cpu, const std::vector<VaRange>& ranges) {
    for (const VaRange& r : ranges)
      for (std::uint64_t p = 0; p < r.count; ++p)
        if (sd_.stale_visible(cpu, mm_, shift_, r.first + p)) stale_->add();
  }

  void end_step() {
    step_lat_->record(ctx_.sim().now() - step_start_);
    live_.erase(
        std::remove_if(live_.begin(), live_.end(), [](const Mapping& m) { return !m.alive; }),
        live_.end());
    for (std::size_t i = 0; i < mappings_; ++i) map_one();
    if (++step_ < steps_) {
      ctx_.sim().call_after(gap_, [this] { start_step(); });
      return;
    }
    end_ = ctx_.sim().now();
    for (int i = 0; i < ncpu_; ++i) {
      close_on(i);
      // The compute done so far in units that the end cuts short (the threads' units run in
      // step, so counting only whole units would make the loss depend on where the end falls).
      PerCpu& c = cpus_[static_cast<std::size_t>(i)];
      if (c.in_unit && c.unit_len > 0) {
        const Tick ran = sched_->cpu_time_now(c.task) - c.unit_cpu0;
        partial_ += static_cast<double>(std::min(ran, c.unit_len)) * static_cast<double>(unit_) /
                    static_cast<double>(c.unit_len);
      }
    }
    done_ = true;
    ctx_.release();
  }

  sim::RunContext& ctx_;
  Machine& pf_;
  TlbShootdown& sd_;
  sim::Rng rng_;
  int ncpu_ = 0, steps_ = 0, unmappers_ = 1, touches_ = 0, shift_ = 12;
  std::size_t mappings_ = 0;
  std::uint64_t pages_ = 1, next_vpn_ = 1 << 20;
  Tick unmap_base_ = 0, pte_cost_ = 0, unit_ = 0, gap_ = 0, slice_ = 0;
  double duty_ = 1.0;
  bool device_ = true, check_ = false, done_ = false;
  int mm_ = -1, step_ = 0, busy_unmappers_ = 0;
  Tick step_start_ = 0, end_ = 0, translate_ = 0;
  double partial_ = 0;  // compute of the units cut short by the end
  std::uint64_t units_ = 0, unmaps_ = 0;
  int cpu_at(int i) const { return cpu_of_[static_cast<std::size_t>(i)]; }
  std::vector<int> cpu_of_;        // the process's CPUs, ascending
  std::vector<int> slot_of_task_;  // task -> its slot, -1 for the other process's tasks
  Scheduler* sched_ = nullptr;
  std::vector<PerCpu> cpus_;
  std::vector<Mapping> live_;
  std::vector<std::vector<std::size_t>> work_;
  std::vector<std::vector<VaRange>> pending_check_;  // by unmapper, until its batch returns
  std::vector<VaRange> unmapped_;
  std::vector<std::uint64_t> unit_pages_;  // the pages a work unit touches
  FlushRequest req_;  // the flush being issued (the shootdown service copies it)
  sim::Histogram* unmap_lat_;
  sim::Histogram* step_lat_;
  sim::Counter* stale_;
};

HETSIM_REGISTER(sim::Workload, MunmapStorm, "munmap_storm");

}  // namespace models
