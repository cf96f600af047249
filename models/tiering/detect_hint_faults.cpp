// `hint_faults`: Linux NUMA balancing's hotness detection in memory-tiering mode
// (numa_balancing = 2; kernel/sched/fair.c task_numa_work, mm/memory.c do_numa_page).
// - Scanning (task_numa_work): after a start delay, passes over `scan_size` bytes
//   (numa_balancing_scan_size_mb) of the process's address space, each from where the last
//   stopped, one every scan_period x scan_size / process size but no faster than
//   MAX_SCAN_WINDOW (task_scan_min); change_prot_numa makes the PTEs of folios on slow-tier
//   nodes PROT_NONE and records the scan time in the folio (tiering mode skips top-tier
//   folios). The walk costs `pte_scan_cost` per page-table entry visited (a PMD-mapped THP is
//   one), kernel time in the context of the thread that found the pass due: it waits.
// - Hint faults: a protected folio faults at its next access. The fault time is drawn from
//   the folio's access rate (the process's rate times the folio's weight in the pattern: an
//   exponential wait) and the fault is handled at the faulting thread's next accounting
//   point, on its CPU; each fault is dealt to one of the process's threads at random, as all
//   threads draw from one pattern. The hint-fault latency (fault time - scan time) is the
//   signal: below `hot_threshold` the folio is hot (should_numa_migrate_memory) and goes to
//   the policy, in the fault; any fault the policy does not take costs the fault alone
//   (`fault` of machine.migration).
// - change_prot_numa's TLB flush: a pass that protected folios flushes their translations
//   (flush_tlb_range through the TLB shootdown service, models/tlb) before the scanning
//   thread goes on.
// - The scan period adapts (update_task_scan_period, per thread, as p->numa_scan_period):
//   a thread's period starts at task_scan_min and, at its first recorded fault after the
//   scanner wrapped round the address space (numa_scan_seq, task_numa_placement), moves by
//   its faults since the last update: with no local and no shared fault, or a failed
//   migration, it doubles; otherwise it grows by (ratio - 7) tenths when 7 or more of 10
//   recorded faults were private (or local), else shrinks, within [task_scan_min,
//   task_scan_max] (scan_period and scan_period_max over the process's scan windows). In
//   tiering mode a fault that leaves its folio on the slow tier is not recorded
//   (task_numa_fault returns early) and a slow-tier folio's faults are private (its cpupid
//   holds the scan time): in effect the period grows with every update that follows a
//   promotion, towards scan_period_max.
#include <algorithm>
#include <cmath>
#include <queue>
#include <vector>

#include "models/migration/migrator.h"
#include "models/tiering/hotness.h"
#include "models/tlb/shootdown.h"

namespace models {

const sim::ParamList& hint_fault_params() {
  static const sim::ParamList p = {
      sim::p_time("scan_delay", "1s", "first scan after this (numa_balancing_scan_delay_ms)"),
      sim::p_time("scan_period", "1s",
                  "numa_balancing_scan_period_min_ms: the time to scan the whole process once; "
                  "a pass over scan_size comes every scan_period x scan_size / process size, "
                  "at most max_scan_rate (task_scan_min)"),
      sim::p_time("scan_period_max", "60s",
                  "numa_balancing_scan_period_max_ms: the adapted period's ceiling "
                  "(task_scan_max)"),
      sim::p_bw("max_scan_rate", "2560MB/s",
                "fastest scan the kernel allows (MAX_SCAN_WINDOW, 2560 MB/s)"),
      sim::p_size("scan_size", "256MiB", "bytes of address space per scan (scan_size_mb)"),
      sim::p_time("pte_scan_cost", "20ns",
                  "walk and change_prot_numa work per page-table entry visited (est.)"),
      sim::p_time("hot_threshold", "1s",
                  "hint-fault latency below which a folio is hot "
                  "(numa_balancing_hot_threshold_ms)"),
  };
  return p;
}

namespace {

class HintFaults final : public HotnessDetector {
 public:
  static constexpr const char* kDoc =
      "NUMA-balancing hint faults: periodic PTE scans make slow-tier folios PROT_NONE; a folio "
      "that faults within hot_threshold of its scan is hot (signalled in the fault).";
  static const sim::ParamList& params() { return hint_fault_params(); }
  HintFaults(sim::RunContext& ctx, const sim::Params& p)
      : ctx_(ctx),
        pf_(Machine::of(ctx)),
        delay_(p.time("scan_delay")),
        period_(p.time("scan_period")),
        scan_size_(p.size("scan_size")),
        pte_cost_(p.time("pte_scan_cost")),
        hot_(p.time("hot_threshold")),
        max_rate_(p.bw("max_scan_rate")),
        rng_(ctx.sim().seed(), "tiering.numa_tiering"),
        period_max_(p.time("scan_period_max")) {
    if (period_ == 0) p.where("scan_period").fail("a positive time", "0");
    if (scan_size_ == 0) p.where("scan_size").fail("a positive size", "0");
    if (max_rate_ <= 0) p.where("max_scan_rate").fail("a positive bandwidth", "0");
    if (period_max_ < period_)
      p.where("scan_period_max").fail("at least scan_period", std::to_string(period_max_) + " ps");
    next_scan_ = delay_;
  }

  void attach(const TieringHost& host, Sink sink) override {
    HotnessDetector::attach(host, std::move(sink));
    const std::size_t n = host.mm->size();
    // task_scan_min(): the period spread over the process's scan_size windows, but never
    // faster than MAX_SCAN_WINDOW.
    double rss = 0;
    for (std::size_t i = 0; i < n; ++i) rss += static_cast<double>(host.mm->folio(i).bytes());
    const double size = static_cast<double>(scan_size_);
    const double per_window = sim::to_seconds(period_) * std::min(1.0, size / rss);
    step_ =
        static_cast<Tick>(std::max(per_window, size / max_rate_) * static_cast<double>(sim::kSec));
    const double max_window = sim::to_seconds(period_max_) * std::min(1.0, size / rss);
    step_max_ = std::max(step_, static_cast<Tick>(max_window * static_cast<double>(sim::kSec)));
    due_.resize(static_cast<std::size_t>(host.threads));
    adapt_.assign(static_cast<std::size_t>(host.threads), Adapt{step_, 0, 0, 0, 0});
    prot_.assign(n, 0);
    scanned_at_.assign(n, 0);
  }

  bool on_quantum(int thread, int cpu, double, std::function<void()> resume) override {
    if (!pending(thread)) return false;
    run(thread, cpu, std::move(resume));
    return true;
  }

  void moved(std::size_t i) override { prot_[i] = 0; }

  void finish() override {
    auto& st = ctx_.sim().stats();
    st.set_metric("tiering.scans", static_cast<double>(scans_));
    st.set_metric("tiering.scan_cpu_us", sim::to_us(scan_cpu_));
    st.set_metric("tiering.hint_faults", static_cast<double>(faults_));
    st.set_metric("tiering.hint_fault_cpu_us", sim::to_us(fault_cpu_));
    st.set_metric("tiering.not_hot", static_cast<double>(not_hot_));
    st.set_metric("tiering.scan_flush_pages", static_cast<double>(flush_pages_));
    st.set_metric("tiering.scan_period_updates", static_cast<double>(updates_));
    Tick longest = 0;
    for (const Adapt& a : adapt_) longest = std::max(longest, a.period);
    st.set_metric("tiering.scan_period_end_ms", sim::to_seconds(longest) * 1e3);
  }

 private:
  struct Adapt {
    Tick period;  // p->numa_scan_period: time between the passes this thread makes
    std::uint64_t seq, local, remote, priv;
  };
  struct Due {
    Tick at;
    std::size_t folio;
    bool operator<(const Due& o) const {  // earliest first, then by folio: a total order
      return at != o.at ? at > o.at : folio > o.folio;
    }
  };

  // One pass of task_numa_work over scan_size bytes; returns its CPU time.
  Tick scan(Tick now, int thread) {
    Mm& mm = *host_.mm;
    flush_.clear();
    flush_entries_ = 0;
    const std::size_t n = mm.size();
    const double rate = host_.access_rate();
    std::uint64_t walked = 0, entries = 0;
    for (std::size_t k = 0; k < n && walked < scan_size_; ++k) {
      const std::size_t i = cursor_;
      cursor_ = (cursor_ + 1) % n;
      if (cursor_ == 0) ++seq_;  // the scanner wrapped round the address space
      const Folio& f = mm.folio(i);
      walked += f.bytes();
      entries += f.entries();
      if (is_toptier(pf_.nodes()[static_cast<std::size_t>(f.node)]) || prot_[i] || host_.busy(i))
        continue;
      prot_[i] = 1;
      scanned_at_[i] = now;
      flush_.push_back(i);
      flush_entries_ += f.entries();
      const double lambda = rate * host_.pattern->weight(i);  // its accesses per second
      if (lambda <= 0) continue;                              // never touched: stays protected
      const double wait = -std::log(1 - rng_.uniform()) / lambda;
      // Every thread draws from the same pattern: the fault is any thread's, equally.
      const std::size_t t = rng_.below(due_.size());
      due_[t].push({now + static_cast<Tick>(wait * static_cast<double>(sim::kSec)), i});
    }
    const Tick cost = pte_cost_ * entries;
    scan_cpu_ += cost;
    ++scans_;
    next_scan_ = now + adapt_[static_cast<std::size_t>(thread)].period;
    return cost;
  }

  // Drops faults of folios no longer protected; whether work waits in the thread's context.
  bool pending(int thread) {
    auto& q = due_[static_cast<std::size_t>(thread)];
    const Tick now = ctx_.sim().now();
    while (!q.empty() && q.top().at <= now && !prot_[q.top().folio]) q.pop();
    return now >= next_scan_ || (!q.empty() && q.top().at <= now);
  }

  // The thread's kernel work, one piece after another: the scan's task_work, then each
  // hint fault now due; `resume` once nothing is left.
  void run(int thread, int cpu, std::function<void()> resume) {
    auto again = [this, thread, cpu, resume] {
      if (pending(thread))
        run(thread, cpu, resume);
      else
        resume();
    };
    const Tick now = ctx_.sim().now();
    if (now >= next_scan_) {
      pf_.exec().kernel(cpu, scan(now, thread), [this, cpu, again] {
        if (flush_.empty()) {
          again();
          return;
        }
        flush_pages_ += flush_entries_;
        // change_prot_numa's flush: the scanning task spins on its CPU for the acknowledgements.
        TlbShootdown::of(ctx_).flush_spinning(folio_flush(*host_.mm, cpu, flush_, flush_entries_),
                                              again);
      });
      return;
    }
    auto& q = due_[static_cast<std::size_t>(thread)];
    const Due d = q.top();
    q.pop();
    hint_fault(thread, cpu, d, again);
  }

  void hint_fault(int thread, int cpu, const Due& d, std::function<void()> done) {
    const std::size_t i = d.folio;
    prot_[i] = 0;
    ++faults_;
    if (d.at - scanned_at_[i] >= hot_) {
      ++not_hot_;
      plain_fault(cpu, std::move(done));
      return;
    }
    HotSignal s;
    s.folio = i;
    s.cpu = cpu;
    s.at = d.at;
    s.in_fault = true;
    // A promoted folio's fault is recorded (task_numa_fault) once its migration is done.
    auto record = [this, thread, cpu, i, done] {
      const Folio& f = host_.mm->folio(i);
      if (is_toptier(pf_.nodes()[static_cast<std::size_t>(f.node)]))
        recorded(thread, f.node == local_toptier(pf_, cpu), f.bytes() / kBasePage);
      done();
    };
    if (!sink_(s, record)) plain_fault(cpu, std::move(done));
  }

  // task_numa_fault for a recorded fault: task_numa_placement (which updates the scan period
  // once per numa_scan_seq) and then the fault's own locality.
  void recorded(int thread, bool local, std::uint64_t pages) {
    Adapt& a = adapt_[static_cast<std::size_t>(thread)];
    if (a.seq != seq_) {
      a.seq = seq_;
      update_period(a);
    }
    (local ? a.local : a.remote) += pages;
    a.priv += pages;  // a slow-tier folio's last cpupid is its scan time: private
  }

  // update_task_scan_period(): NUMA_PERIOD_SLOTS 10, NUMA_PERIOD_THRESHOLD 7; shared faults
  // and failed migrations are never recorded in tiering mode (see above).
  void update_period(Adapt& a) {
    constexpr std::int64_t kSlots = 10, kThreshold = 7;
    ++updates_;
    const std::uint64_t shared = 0;
    if (a.local + shared == 0) {
      a.period = std::min(step_max_, a.period * 2);
    } else {
      const auto slot = static_cast<std::int64_t>((a.period + kSlots - 1) / kSlots);
      const auto lr = static_cast<std::int64_t>(a.local * kSlots / (a.local + a.remote));
      const auto ps = static_cast<std::int64_t>(a.priv * kSlots / (a.priv + shared));
      std::int64_t diff;
      if (ps >= kThreshold)
        diff = std::max<std::int64_t>(ps - kThreshold, 1) * slot;
      else if (lr >= kThreshold)
        diff = std::max<std::int64_t>(lr - kThreshold, 1) * slot;
      else
        diff = -(kThreshold - std::max(lr, ps)) * slot;
      const std::int64_t p = static_cast<std::int64_t>(a.period) + diff;
      a.period = static_cast<Tick>(std::clamp<std::int64_t>(p, static_cast<std::int64_t>(step_),
                                                            static_cast<std::int64_t>(step_max_)));
    }
    a.local = a.remote = a.priv = 0;
  }

  void plain_fault(int cpu, std::function<void()> done) {
    const Tick cost = Migrator::of(ctx_).costs().fault;
    fault_cpu_ += cost;
    pf_.exec().kernel(cpu, cost, std::move(done));
  }

  sim::RunContext& ctx_;
  Machine& pf_;
  Tick delay_, period_;
  std::uint64_t scan_size_;
  Tick pte_cost_, hot_;
  double max_rate_;
  Tick step_ = 0, step_max_ = 0;    // task_scan_min, task_scan_max
  std::vector<Adapt> adapt_;        // per thread
  std::uint64_t seq_ = 0;           // mm->numa_scan_seq
  std::vector<std::size_t> flush_;  // the last pass's protected folios
  std::uint64_t flush_entries_ = 0, flush_pages_ = 0, updates_ = 0;
  sim::Rng rng_;
  Tick period_max_;
  Tick next_scan_ = 0;
  std::size_t cursor_ = 0;
  std::vector<char> prot_;
  std::vector<Tick> scanned_at_;
  std::vector<std::priority_queue<Due>> due_;  // per thread: the hint faults it will take
  std::uint64_t scans_ = 0, faults_ = 0, not_hot_ = 0;
  Tick scan_cpu_ = 0, fault_cpu_ = 0;
};

}  // namespace

HETSIM_REGISTER(HotnessDetector, HintFaults, "hint_faults");

}  // namespace models
