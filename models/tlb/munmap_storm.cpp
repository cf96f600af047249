// `munmap_storm`: a process spread over N CPUs (a training job) computes in small work
// units that touch its mappings through the TLB; every step, `unmappers` of its threads
// munmap all M live mappings of S bytes (4 KiB or 2 MiB pages) and map M fresh ones, as a
// job swapping weight buffers does. Each munmap clears the PTEs (kernel time) and flushes
// through the run's flush policy; the IPIs it causes steal time from the other threads,
// the unmapping thread spins for the acknowledgements, and full flushes make the TLBs
// refill. With duty < 1 the other threads share their CPUs with another process, so some
// of the mm cpumask is not running the mm when a flush comes.
#include <algorithm>
#include <memory>
#include <vector>

#include "models/machine/machine.h"
#include "models/tlb/shootdown.h"
#include "sim/cpulist.h"
#include "sim/rng.h"
#include "sim/run_context.h"

namespace models {

class MunmapStorm : public sim::Workload, public CpuExec::Observer {
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
        sim::p_double(
            "duty", 1.0,
            "share of time non-unmapping threads have their CPU (the rest runs another mm)", 0.0,
            1.0),
        sim::p_time("slice", "1ms", "period of the CPU sharing when duty < 1"),
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
    slot_of_.assign(static_cast<std::size_t>(pf_.cpu_count()), -1);
    for (int i = 0; i < ncpu_; ++i) slot_of_[static_cast<std::size_t>(cpu_at(i))] = i;
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
    pf_.exec().add_observer(this);
    auto& st = ctx.sim().stats();
    unmap_lat_ = &st.histogram("munmap.unmap_latency", "us", static_cast<double>(sim::kUs));
    step_lat_ = &st.histogram("munmap.storm_time", "us", static_cast<double>(sim::kUs));
    stale_ = &st.counter("tlb.stale_violations");
  }

  void start() override {
    ctx_.hold();
    mm_ = sd_.mms().create("munmap_storm").id();
    for (std::size_t i = 0; i < mappings_; ++i) map_one();
    for (int i = 0; i < ncpu_; ++i) {
      const int cpu = cpu_at(i);
      sd_.switch_mm(cpu, mm_);
      PerCpu& c = cpus_[static_cast<std::size_t>(i)];
      c.on_since = 0;
      begin_unit(i);
      if (duty_ < 1.0 && i >= unmappers_) {
        // Stagger the sharing so that at any time about duty of the CPUs run the mm.
        const Tick on = static_cast<Tick>(static_cast<double>(slice_) * duty_);
        const Tick phase = rng_.below(slice_);
        if (phase < on)
          ctx_.sim().call_at(on - phase, [this, i] { switch_off(i); });
        else
          switch_off_now(i, slice_ - phase);
      }
    }
    ctx_.sim().call_after(gap_, [this] { start_step(); });
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
      stolen += static_cast<double>(c.stolen);
      spin += static_cast<double>(c.unmap_time);
    }
    const double work = static_cast<double>(units_) * static_cast<double>(unit_);
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

  // Interrupt or kernel time on a CPU delays the work unit running there.
  void on_steal(int cpu, Tick, Tick duration, CpuExec::Kind) override {
    const int i = slot_of_[static_cast<std::size_t>(cpu)];
    if (i < 0) return;
    PerCpu& c = cpus_[static_cast<std::size_t>(i)];
    if (!c.on || c.unmapping) return;  // an unmapping thread's time is counted as unmap time
    c.stolen += duration;
    if (c.running) {
      c.unit_end += duration;
      schedule_unit(i);
    }
  }

 private:
  struct Mapping {
    std::uint64_t first, pages;
    bool alive;
  };
  struct PerCpu {
    bool on = true, running = false, unmapping = false;
    Tick unit_end = 0, paused_left = 0, on_since = 0, on_time = 0;
    Tick stolen = 0, unmap_time = 0, unmap_start = 0;
    std::uint64_t token = 0;
  };

  void map_one() {
    live_.push_back({next_vpn_, pages_, true});
    next_vpn_ += pages_;
  }

  // --- the compute threads ---
  void begin_unit(int i) {
    PerCpu& c = cpus_[static_cast<std::size_t>(i)];
    if (done_ || !c.on || c.unmapping) return;
    Tick t = unit_;
    for (int k = 0; k < touches_ && !live_.empty(); ++k) {
      const Mapping& m = live_[rng_.below(live_.size())];
      if (!m.alive) continue;
      const Tick x = sd_.access(cpu_at(i), mm_, shift_, m.first + rng_.below(m.pages));
      t += x;
      translate_ += x;
    }
    c.running = true;
    c.unit_end = ctx_.sim().now() + t;
    schedule_unit(i);
  }
  void schedule_unit(int i) {
    PerCpu& c = cpus_[static_cast<std::size_t>(i)];
    const std::uint64_t tok = ++c.token;
    // A typed event, not a closure: the CPU index and its token share the argument.
    ctx_.sim().at<&MunmapStorm::end_unit>(c.unit_end, this, (tok << kCpuBits) | unsigned(i));
  }
  static constexpr int kCpuBits = 24;
  void end_unit(std::uint64_t arg) {
    const int i = static_cast<int>(arg & ((1u << kCpuBits) - 1));
    PerCpu& c = cpus_[static_cast<std::size_t>(i)];
    if ((c.token & ((1ULL << (64 - kCpuBits)) - 1)) != (arg >> kCpuBits) || !c.running) return;
    c.running = false;
    ++units_;
    begin_unit(i);
  }
  void pause(int i) {
    PerCpu& c = cpus_[static_cast<std::size_t>(i)];
    if (!c.running) return;
    c.paused_left = c.unit_end > ctx_.sim().now() ? c.unit_end - ctx_.sim().now() : 0;
    c.running = false;
    ++c.token;
  }
  void resume(int i) {
    PerCpu& c = cpus_[static_cast<std::size_t>(i)];
    if (done_ || c.running || !c.on || c.unmapping) return;
    if (c.paused_left > 0) {
      c.running = true;
      c.unit_end = ctx_.sim().now() + c.paused_left;
      c.paused_left = 0;
      schedule_unit(i);
    } else {
      begin_unit(i);
    }
  }

  // --- CPU sharing with another process ---
  void switch_off(int i) {
    if (done_) return;
    switch_off_now(i, slice_ - static_cast<Tick>(static_cast<double>(slice_) * duty_));
  }
  void switch_off_now(int i, Tick off_for) {
    PerCpu& c = cpus_[static_cast<std::size_t>(i)];
    pause(i);
    c.on_time += ctx_.sim().now() - c.on_since;
    c.on = false;
    sd_.switch_mm(cpu_at(i), -1);
    ctx_.sim().call_after(off_for, [this, i] { switch_on(i); });
  }
  void switch_on(int i) {
    if (done_) return;
    PerCpu& c = cpus_[static_cast<std::size_t>(i)];
    c.on = true;
    c.on_since = ctx_.sim().now();
    const Tick flush = sd_.switch_mm(cpu_at(i), mm_);
    if (check_) check_stale_on(cpu_at(i), unmapped_);
    resume(i);
    if (flush > 0) pf_.exec().kernel(cpu_at(i), flush, nullptr);
    ctx_.sim().call_after(static_cast<Tick>(static_cast<double>(slice_) * duty_),
                          [this, i] { switch_off(i); });
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
      pause(u);
      c.unmapping = true;
      c.unmap_start = ctx_.sim().now();
      unmap_next(u, 0);
    }
    if (busy_unmappers_ == 0) end_step();
  }

  void unmap_next(int u, std::size_t pos) {
    const std::vector<std::size_t>& list = work_[static_cast<std::size_t>(u)];
    const int cpu = cpu_at(u);
    if (pos == list.size()) {
      PerCpu& c = cpus_[static_cast<std::size_t>(u)];
      c.unmapping = false;
      c.unmap_time += ctx_.sim().now() - c.unmap_start;
      resume(u);
      if (--busy_unmappers_ == 0) end_step();
      return;
    }
    const std::size_t k = list[pos];
    const Tick t0 = ctx_.sim().now();
    pf_.exec().kernel(cpu, unmap_base_ + pages_ * pte_cost_, [this, u, pos, k, cpu, t0] {
      Mapping& m = live_[k];
      m.alive = false;
      ++unmaps_;
      const bool last = pos + 1 == work_[static_cast<std::size_t>(u)].size();
      FlushRequest req;
      req.initiator = cpu;
      req.pages = m.pages;
      req.mm = mm_;
      req.page_shift = shift_;
      req.ranges = {VaRange{m.first, m.pages}};
      req.more = !last;
      req.device = device_;
      if (check_) pending_check_[static_cast<std::size_t>(u)].push_back(VaRange{m.first, m.pages});
      sd_.flush(req, [this, u, pos, t0, last] {
        unmap_lat_->record(ctx_.sim().now() - t0);
        if (last && check_) check_stale(u);
        unmap_next(u, pos + 1);
      });
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
    done_ = true;
    end_ = ctx_.sim().now();
    for (int i = 0; i < ncpu_; ++i) {
      PerCpu& c = cpus_[static_cast<std::size_t>(i)];
      pause(i);
      if (c.on) {
        c.on_time += end_ - c.on_since;
        c.on = false;
      }
    }
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
  std::uint64_t units_ = 0, unmaps_ = 0;
  int cpu_at(int i) const { return cpu_of_[static_cast<std::size_t>(i)]; }
  std::vector<int> cpu_of_;   // the process's CPUs, ascending
  std::vector<int> slot_of_;  // CPU -> its index in cpu_of_, -1 if not the process's
  std::vector<PerCpu> cpus_;
  std::vector<Mapping> live_;
  std::vector<std::vector<std::size_t>> work_;
  std::vector<std::vector<VaRange>> pending_check_;  // by unmapper, until its batch returns
  std::vector<VaRange> unmapped_;
  sim::Histogram* unmap_lat_;
  sim::Histogram* step_lat_;
  sim::Counter* stale_;
};

HETSIM_REGISTER(sim::Workload, MunmapStorm, "munmap_storm");

}  // namespace models
