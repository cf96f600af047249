#pragma once
// NumaBalancing, the mechanism of the `numa_tiering` and `tpp` policies: Linux NUMA balancing in
// memory-tiering mode (numa_balancing = 2, kernel/sched/fair.c and mm/memory.c).
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
//   point, on its CPU. The hint-fault latency (fault time - scan time) is the hotness
//   signal: below `hot_threshold` the folio is a promotion candidate
//   (should_numa_migrate_memory). Candidates count against `rate_limit` per 1 s window of
//   the target node (numa_promotion_rate_limit: a candidate that takes the window over the
//   limit is refused). A candidate goes through the migration mechanism's `fault` entry
//   point (which pays the fault itself) to the top-tier node of the faulting CPU; any
//   other hint fault costs the fault alone (`fault` of machine.migration). The faulting
//   thread waits for its faults and their migrations (migrate_misplaced_folio runs in the
//   fault); each fault is dealt to one of the process's threads at random, as all threads
//   draw from one pattern.
// Not modelled: the scan period's adaptation between its min and max, the automatic
// hot-threshold adjustment, the TLB flush of change_prot_numa, shared/private fault stats.
#include <cmath>
#include <queue>
#include <vector>

#include "models/migration/migrator.h"
#include "models/tiering/tiering_policy.h"

namespace models {

class NumaBalancing : public TieringPolicy {
 public:
  static sim::ParamList base_params() {
    return {
        sim::p_time("scan_delay", "1s", "first scan after this (numa_balancing_scan_delay_ms)"),
        sim::p_time("scan_period", "1s",
                    "numa_balancing_scan_period_min_ms: the time to scan the whole process once; "
                    "a pass over scan_size comes every scan_period x scan_size / process size, "
                    "at most max_scan_rate (task_scan_min; the growth towards "
                    "scan_period_max_ms is not modelled)"),
        sim::p_bw("max_scan_rate", "2560MB/s",
                  "fastest scan the kernel allows (MAX_SCAN_WINDOW, 2560 MB/s)"),
        sim::p_size("scan_size", "256MiB", "bytes of address space per scan (scan_size_mb)"),
        sim::p_time("pte_scan_cost", "20ns",
                    "walk and change_prot_numa work per page-table entry visited (est.)"),
        sim::p_time("hot_threshold", "1s",
                    "hint-fault latency below which a folio is hot "
                    "(numa_balancing_hot_threshold_ms)"),
        sim::p_bw("rate_limit", "65536MB/s",
                  "promotion candidates per second per target node "
                  "(numa_balancing_promote_rate_limit_MBps)"),
    };
  }
  NumaBalancing(sim::RunContext& ctx, const sim::Params& p)
      : ctx_(ctx),
        pf_(Machine::of(ctx)),
        delay_(p.time("scan_delay")),
        period_(p.time("scan_period")),
        scan_size_(p.size("scan_size")),
        pte_cost_(p.time("pte_scan_cost")),
        hot_(p.time("hot_threshold")),
        limit_(p.bw("rate_limit")),
        max_rate_(p.bw("max_scan_rate")),
        rng_(ctx.sim().seed(), "tiering.numa_tiering"),
        promoted_(&ctx.sim().stats().counter("tiering.promotions")),
        promoted_bytes_(&ctx.sim().stats().counter("tiering.promoted_bytes")) {
    if (period_ == 0) p.where("scan_period").fail("a positive time", "0");
    if (scan_size_ == 0) p.where("scan_size").fail("a positive size", "0");
    if (max_rate_ <= 0) p.where("max_scan_rate").fail("a positive bandwidth", "0");
    next_scan_ = delay_;
    // The migration mechanism is built with the run (its policy slot, its figures), not at
    // the first promotion.
    Migrator::of(ctx);
  }

  void attach(const TieringHost& host) override {
    TieringPolicy::attach(host);
    const std::size_t n = host.mm->size();
    // task_scan_min(): the period spread over the process's scan_size windows, but never
    // faster than MAX_SCAN_WINDOW.
    double rss = 0;
    for (std::size_t i = 0; i < n; ++i) rss += static_cast<double>(host.mm->folio(i).bytes());
    const double size = static_cast<double>(scan_size_);
    const double per_window = sim::to_seconds(period_) * std::min(1.0, size / rss);
    step_ =
        static_cast<Tick>(std::max(per_window, size / max_rate_) * static_cast<double>(sim::kSec));
    due_.resize(static_cast<std::size_t>(host.threads));
    prot_.assign(n, 0);
    busy_.assign(n, 0);
    scanned_at_.assign(n, 0);
    window_.assign(pf_.nodes().size(), Window{});
  }

  bool on_quantum(int thread, int cpu, double, std::function<void()> resume) override {
    at_point(cpu);
    if (!pending(thread)) return false;
    run(thread, cpu, std::move(resume));
    return true;
  }

  void finish() override {
    auto& st = ctx_.sim().stats();
    st.set_metric("tiering.scans", static_cast<double>(scans_));
    st.set_metric("tiering.scan_cpu_us", sim::to_us(scan_cpu_));
    st.set_metric("tiering.hint_faults", static_cast<double>(faults_));
    st.set_metric("tiering.hint_fault_cpu_us", sim::to_us(fault_cpu_));
    st.set_metric("tiering.candidates", static_cast<double>(candidates_));
    st.set_metric("tiering.not_hot", static_cast<double>(not_hot_));
    st.set_metric("tiering.rate_limited", static_cast<double>(limited_));
    st.set_metric("tiering.refused", static_cast<double>(refused_));
    st.set_metric("tiering.max_window_accepted_bytes", static_cast<double>(max_window_bytes_));
  }

 protected:
  // Whether a candidate may go to `dst` now (tpp refuses a node under its watermark).
  virtual bool may_promote(int dst, std::uint64_t bytes) {
    (void)dst;
    (void)bytes;
    return true;
  }
  // Runs at every accounting point of a thread, before its own kernel work.
  virtual void at_point(int cpu) { (void)cpu; }

  struct Due {
    Tick at;
    std::size_t folio;
    bool operator<(const Due& o) const {  // earliest first, then by folio: a total order
      return at != o.at ? at > o.at : folio > o.folio;
    }
  };
  struct Window {
    Tick start = 0;
    std::uint64_t cand_bytes = 0, accepted_bytes = 0;
  };

  // One pass of task_numa_work over scan_size bytes; returns its CPU time.
  Tick scan(Tick now) {
    Mm& mm = *host_.mm;
    const std::size_t n = mm.size();
    const double rate = host_.access_rate();
    std::uint64_t walked = 0, entries = 0;
    for (std::size_t k = 0; k < n && walked < scan_size_; ++k) {
      const std::size_t i = cursor_;
      cursor_ = (cursor_ + 1) % n;
      const Folio& f = mm.folio(i);
      walked += f.bytes();
      entries += f.entries();
      if (is_toptier(pf_.nodes()[static_cast<std::size_t>(f.node)]) || prot_[i] || busy_[i])
        continue;
      prot_[i] = 1;
      scanned_at_[i] = now;
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
    next_scan_ = now + step_;
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
      pf_.exec().kernel(cpu, scan(now), again);
      return;
    }
    auto& q = due_[static_cast<std::size_t>(thread)];
    const Due d = q.top();
    q.pop();
    hint_fault(cpu, d, again);
  }

  void hint_fault(int cpu, const Due& d, std::function<void()> done) {
    const std::size_t i = d.folio;
    prot_[i] = 0;
    ++faults_;
    Mm& mm = *host_.mm;
    const Folio& f = mm.folio(i);
    const int dst = local_toptier(pf_, cpu);
    const bool hot = d.at - scanned_at_[i] < hot_;
    if (dst < 0 || !hot) {
      if (!hot) ++not_hot_;
      plain_fault(cpu, std::move(done));
      return;
    }
    ++candidates_;
    if (limited(dst, f.bytes(), d.at)) {
      ++limited_;
      plain_fault(cpu, std::move(done));
      return;
    }
    if (!may_promote(dst, f.bytes())) {
      ++refused_;
      plain_fault(cpu, std::move(done));
      return;
    }
    busy_[i] = 1;
    MigrationJob job;
    job.reason = MigrationReason::Fault;
    job.as = &mm;
    job.first = i;
    job.count = 1;
    job.dst = dst;
    job.cpu = cpu;
    Migrator::of(ctx_).submit(job, [this, i, dst, done] {
      busy_[i] = 0;
      const Folio& g = host_.mm->folio(i);
      if (g.node == dst) {  // else the target was full: the fault left it in place
        promoted_->add();
        promoted_bytes_->add(static_cast<double>(g.bytes()));
        host_.placement_changed();
      }
      done();
    });
  }

  // numa_promotion_rate_limit(): candidates of the current 1 s window of the target node.
  bool limited(int dst, std::uint64_t bytes, Tick at) {
    Window& w = window_[static_cast<std::size_t>(dst)];
    if (at > w.start + sim::kSec) w = Window{at, 0, 0};
    w.cand_bytes += bytes;
    if (static_cast<double>(w.cand_bytes) > limit_) return true;
    w.accepted_bytes += bytes;
    max_window_bytes_ = std::max(max_window_bytes_, w.accepted_bytes);
    return false;
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
  double limit_, max_rate_;
  Tick step_ = 0;  // time between passes (task_scan_min)
  sim::Rng rng_;
  Tick next_scan_ = 0;
  std::size_t cursor_ = 0;
  std::vector<char> prot_, busy_;
  std::vector<Tick> scanned_at_;
  std::vector<std::priority_queue<Due>> due_;  // per thread: the hint faults it will take
  std::vector<Window> window_;
  std::uint64_t scans_ = 0, faults_ = 0, candidates_ = 0, not_hot_ = 0, limited_ = 0, refused_ = 0;
  std::uint64_t max_window_bytes_ = 0;
  sim::Counter *promoted_, *promoted_bytes_;  // live: promotions over time
  Tick scan_cpu_ = 0, fault_cpu_ = 0;
};

}  // namespace models
