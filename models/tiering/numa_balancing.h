#pragma once
// NumaBalancing, the mechanism of the `numa_tiering` and `tpp` policies: Linux NUMA balancing in
// memory-tiering mode (numa_balancing = 2, kernel/sched/fair.c and mm/memory.c) over a hotness
// detector (hotness.h; by default `hint_faults`, the kernel's own: its parameters are this
// policy's top-level ones).
// - A hot folio (a hint fault under hot_threshold, or a sampled / monitored folio the
//   detector finds hot) is a promotion candidate. Candidates count against `rate_limit` per
//   1 s window of the target node (numa_promotion_rate_limit: a candidate that takes the
//   window over the limit is refused). A candidate found in a hint fault goes through the
//   migration mechanism's `fault` entry point (which pays the fault itself) to the top-tier
//   node of the faulting CPU, and the faulting thread waits for it (migrate_misplaced_folio
//   runs in the fault); one found by another detector goes through the `promote` entry
//   point on the CPU it was observed on, one after another per CPU (the kernel thread that
//   found them migrates them in turn).
// - A candidate the target cannot take while staying at or above its high watermark plus the
//   folio is refused (migrate_balanced_pgdat; metric tiering.refused_wmark) and wakes the
//   target's kswapd (kswapd.h) when demotion is on.
// Every move is checked for ping-pong (folio_mover.h).
// Not modelled: the automatic hot-threshold adjustment, shared/private fault stats.
#include <deque>
#include <map>
#include <utility>
#include <vector>

#include "models/memory/node_memory.h"
#include "models/tiering/folio_mover.h"
#include "models/tiering/hotness.h"
#include "models/tiering/kswapd.h"

namespace models {

class NumaBalancing : public TieringPolicy {
 public:
  static sim::ParamList base_params() {
    sim::ParamList l = hint_fault_params();
    l.push_back(sim::p_bw("rate_limit", "65536MB/s",
                          "promotion candidates per second per target node "
                          "(numa_balancing_promote_rate_limit_MBps)"));
    l.push_back(p_detector("hint_faults"));
    l.push_back(FolioMover::window_param());
    return l;
  }
  NumaBalancing(sim::RunContext& ctx, const sim::Params& p)
      : ctx_(ctx),
        pf_(Machine::of(ctx)),
        limit_(p.bw("rate_limit")),
        mover_(ctx, p.time("pingpong_window")),
        detector_(make_detector(ctx, p, false)),
        mem_(NodeMemory::of(ctx)) {
    mem_.report_wmarks();
    mem_.set_tiering_mode();
  }

  void attach(const TieringHost& host) override {
    TieringPolicy::attach(host);
    mover_.attach(host.mm);
    // Folios kswapd demotes count as this policy's demotions (and ping-pong), and the
    // detector forgets their state, as after its own moves.
    if (Kswapd* k = Kswapd::find(ctx_))
      k->on_demoted([this](Mm& mm, std::size_t i, int from) {
        if (&mm != host_.mm) return;
        mover_.record(i, from, MigrationReason::Demote);
        detector_->moved(i);
      });
    TieringHost h = host;
    h.busy = [this](std::size_t i) { return mover_.busy(i) || pending_[i]; };
    pending_.assign(host.mm->size(), 0);
    detector_->attach(h, [this](const HotSignal& s, std::function<void()> done) {
      return on_hot(s, std::move(done));
    });
    window_.assign(pf_.nodes().size(), Window{});
    promoting_.assign(pf_.nodes().size(), 0);
  }

  bool on_quantum(int thread, int cpu, double accesses, std::function<void()> resume) override {
    return detector_->on_quantum(thread, cpu, accesses, std::move(resume));
  }

  void finish() override {
    detector_->finish();
    mover_.finish();
    auto& st = ctx_.sim().stats();
    st.set_metric("tiering.candidates", static_cast<double>(candidates_));
    st.set_metric("tiering.rate_limited", static_cast<double>(limited_));
    st.set_metric("tiering.refused", static_cast<double>(refused_));
    st.set_metric("tiering.refused_wmark", static_cast<double>(refused_wmark_));
    st.set_metric("tiering.max_window_accepted_bytes", static_cast<double>(max_window_bytes_));
  }

 protected:
  // Whether a candidate may go to `dst` now (tpp refuses a node under its watermark).
  virtual bool may_promote(int dst, std::uint64_t bytes) {
    (void)dst;
    (void)bytes;
    return true;
  }

  struct Window {
    Tick start = 0;
    std::uint64_t cand_bytes = 0, accepted_bytes = 0;
  };

  // should_numa_migrate_memory's rate limit and the promotion of a hot folio.
  bool on_hot(const HotSignal& s, std::function<void()> done) {
    const std::size_t i = s.folio;
    Mm& mm = *host_.mm;
    const int dst = local_toptier(pf_, s.cpu);
    if (dst < 0 || mover_.busy(i) || pending_[i] || mm.folio(i).node == dst) return false;
    ++candidates_;
    const std::uint64_t bytes = mm.folio(i).bytes();
    if (limited(dst, bytes, s.at)) {
      ++limited_;
      return false;
    }
    if (!may_promote(dst, bytes)) {
      ++refused_;
      return false;
    }
    // migrate_balanced_pgdat: a promotion that would leave the target under its high
    // watermark plus the folio is refused, and the target's kswapd is woken. The kernel
    // allocates the destination right after the check; here the copy is reserved later, so
    // the promotions already accepted and not yet done count as allocated.
    if (mem_.below(dst, NodeMemory::Wmark::High,
                   bytes + promoting_[static_cast<std::size_t>(dst)])) {
      ++refused_wmark_;
      if (Kswapd* k = Kswapd::find(ctx_)) k->wake(dst, bytes);
      return false;
    }
    promoting_[static_cast<std::size_t>(dst)] += bytes;
    if (!s.in_fault) {
      auto& q = queued_[s.cpu];
      q.push_back({i, dst});
      pending_[i] = 1;
      mm.set_in_flight(i, true);  // isolated: reclaim does not take it meanwhile
      if (q.size() == 1) next_async(s.cpu);
      done();
      return true;
    }
    mover_.move(i, dst, MigrationReason::Fault, s.cpu, [this, done, dst, bytes](bool moved) {
      promoting_[static_cast<std::size_t>(dst)] -= bytes;
      if (moved) host_.placement_changed();  // else the target was full: the folio stays
      done();
    });
    return true;
  }

  // The head of `cpu`'s queue of promotions found outside a fault.
  void next_async(int cpu) {
    auto& q = queued_[cpu];
    const auto i = q.front().first;
    const auto dst = q.front().second;  // named apart: a lambda may not capture a binding (C++17)
    pending_[i] = 0;
    host_.mm->set_in_flight(i, false);
    const std::uint64_t bytes = host_.mm->folio(i).bytes();
    mover_.move(i, dst, MigrationReason::Promote, cpu, [this, cpu, dst, bytes](bool moved) {
      promoting_[static_cast<std::size_t>(dst)] -= bytes;
      if (moved) host_.placement_changed();
      auto& left = queued_[cpu];
      left.pop_front();
      if (!left.empty()) next_async(cpu);
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

  sim::RunContext& ctx_;
  Machine& pf_;
  double limit_;
  FolioMover mover_;
  std::unique_ptr<HotnessDetector> detector_;
  std::vector<Window> window_;
  std::map<int, std::deque<std::pair<std::size_t, int>>> queued_;  // per CPU: folio, target
  std::vector<char> pending_;                                      // queued, not yet moving
  std::vector<std::uint64_t> promoting_;  // per target node: bytes accepted, not yet moved
  NodeMemory& mem_;
  std::uint64_t candidates_ = 0, limited_ = 0, refused_ = 0, refused_wmark_ = 0;
  std::uint64_t max_window_bytes_ = 0;
};

}  // namespace models
