#pragma once
// PeriodicTiering, the mechanism of the `memtis_like` and `colloid_like` policies: a kernel
// thread (MEMTIS's kmigrated, Colloid's migration thread) that wakes every `period`, reads
// the hotness detector's counts (hotness.h; these policies need one that ranks folios: pebs
// or damon), decides which folios move (the policy's plan()), pays `scan_cost` per folio it
// examined as kernel time on its CPU, then demotes and promotes through the migration
// mechanism's `demote` and `promote` entry points, one folio after another (demotions
// first: they make the room the promotions need). Every `cooling_period` the detector's counts are
// halved (cooling). The fast node is the top-tier node of the CPU of the thread that found the
// thread due, its slow node that node's demotion target, unless the policy names the pair
// (`fast_node`, `slow_node`: for tiers the kernel does not rank, as HBM and DDR in flat mode,
// both top tier).
#include <algorithm>
#include <memory>
#include <vector>

#include "models/memory/node_memory.h"
#include "models/tiering/folio_mover.h"
#include "models/tiering/hotness.h"

namespace models {

class PeriodicTiering : public TieringPolicy {
 public:
  static sim::ParamList base_params() {
    return {
        p_detector("pebs"),
        sim::p_time("period", "100ms", "time between the migration thread's passes (est.)"),
        sim::p_int("batch", 256, "most folios promoted (and most demoted) per pass (est.)", 1, 1e9),
        sim::p_time("scan_cost", "50ns", "the thread's work per folio whose count it reads (est.)"),
        sim::p_double("free_reserve", 0.02,
                      "fraction of the fast node kept free (its watermarks; est.)", 0, 1),
        sim::p_time("cooling_period", "2s",
                    "every this much time the counts are halved (0: never; est.)"),
        sim::p_int("cpu", -1,
                   "CPU of the migration thread (-1: the last CPU of the fast node's socket)", -1,
                   1e9),
        sim::p_string("fast_node", "",
                      "node the thread promotes to (\"\": the top-tier node of the CPU's socket)"),
        sim::p_string("slow_node", "",
                      "node the thread demotes to (\"\": fast_node's demotion target)"),
        FolioMover::window_param(),
    };
  }
  PeriodicTiering(sim::RunContext& ctx, const sim::Params& p)
      : ctx_(ctx),
        pf_(Machine::of(ctx)),
        mem_(NodeMemory::of(ctx)),
        period_(p.time("period")),
        batch_(static_cast<std::size_t>(p.i("batch"))),
        scan_cost_(p.time("scan_cost")),
        reserve_(p.d("free_reserve")),
        cooling_(p.time("cooling_period")),
        mover_(ctx, p.time("pingpong_window")),
        detector_(make_detector(ctx, p, true)) {
    if (period_ == 0) p.where("period").fail("a positive time", "0");
    if (p.i("cpu") >= 0) cpu_ = p.index("cpu", pf_.cpus().size(), "CPU");
    if (!p.s("fast_node").empty()) fast_ = pf_.node_by_name(p.s("fast_node"), p.where("fast_node"));
    if (!p.s("slow_node").empty()) slow_ = pf_.node_by_name(p.s("slow_node"), p.where("slow_node"));
    if (fast_ >= 0 && fast_ == slow_)
      p.where("slow_node").fail("a node other than fast_node", p.s("slow_node"));
    mover_.enable_demotion();
    next_ = period_;
    next_cool_ = cooling_;
  }

  void attach(const TieringHost& host) override {
    TieringPolicy::attach(host);
    mover_.attach(host.mm);
    TieringHost h = host;
    h.busy = [this](std::size_t i) { return mover_.busy(i); };
    // Hot signals are not acted on one by one: the thread's pass reads the counts.
    detector_->attach(h, [](const HotSignal&, std::function<void()>) { return false; });
  }

  bool on_quantum(int thread, int cpu, double accesses, std::function<void()> resume) override {
    const Tick now = ctx_.sim().now();
    if (cooling_ > 0 && now >= next_cool_) {
      detector_->cool();
      next_cool_ += cooling_;
    }
    if (now >= next_ && !running_) {
      next_ = now + period_;
      const int fast = fast_ >= 0 ? fast_ : local_toptier(pf_, cpu);
      const int slow = slow_ >= 0 ? slow_ : fast < 0 ? -1 : demotion_target(pf_, fast);
      if (fast >= 0 && slow >= 0 && fast != slow)
        pass(fast, slow);
      else
        ++no_tiers_;
    }
    return detector_->on_quantum(thread, cpu, accesses, std::move(resume));
  }

  void finish() override {
    detector_->finish();
    mover_.finish();
    auto& st = ctx_.sim().stats();
    st.set_metric("tiering.passes", static_cast<double>(passes_));
    st.set_metric("tiering.passes_without_tiers", static_cast<double>(no_tiers_));
    st.set_metric("tiering.thread_cpu_us", sim::to_us(thread_cpu_));
  }

 protected:
  struct Plan {
    std::vector<std::size_t> demote, promote;  // folios, in the order they should move
  };
  // The policy's decision for one pass: which folios of the fast node to demote to `slow`
  // and which of the slow node to promote to `fast`. `heat`: the detector's counts.
  virtual Plan plan(int fast, int slow, const std::vector<double>& heat) = 0;

  // Bytes the process may still put on `node` without going under its reserve.
  double room(int node) const {
    return static_cast<double>(mem_.free_bytes(node)) -
           reserve_ * static_cast<double>(mem_.capacity(node));
  }
  // The process's folios on `node`, not being moved, hottest first.
  std::vector<std::size_t> by_heat(int node, const std::vector<double>& heat) const {
    std::vector<std::size_t> v;
    for (std::size_t i = 0; i < host_.mm->size(); ++i)
      if (host_.mm->folio(i).node == node && !mover_.busy(i)) v.push_back(i);
    std::stable_sort(v.begin(), v.end(),
                     [&](std::size_t a, std::size_t b) { return heat[a] > heat[b]; });
    return v;
  }

  sim::RunContext& ctx_;
  Machine& pf_;
  NodeMemory& mem_;
  Tick period_;
  std::size_t batch_;

 private:
  void pass(int fast, int slow) {
    ++passes_;
    const std::size_t n = host_.mm->size();
    std::vector<double> heat(n);
    for (std::size_t i = 0; i < n; ++i) heat[i] = detector_->heat(i);
    Plan pl = plan(fast, slow, heat);
    int kcpu = cpu_;
    if (kcpu < 0)
      for (const Cpu& c : pf_.cpus())
        if (c.socket == pf_.nodes()[static_cast<std::size_t>(fast)].socket) kcpu = c.id;
    const Tick cost = scan_cost_ * n;
    thread_cpu_ += cost;
    running_ = true;
    pf_.exec().kernel(kcpu, cost, [this, pl, fast, slow, kcpu] {
      move_all(pl.demote, slow, MigrationReason::Demote, kcpu, [this, pl, fast, kcpu] {
        move_all(pl.promote, fast, MigrationReason::Promote, kcpu, [this] { running_ = false; });
      });
    });
  }

  // The thread migrates the folios one after another (each a migrate_pages call of one
  // folio), then tells the process its placement changed.
  void move_all(std::vector<std::size_t> folios, int dst, MigrationReason why, int kcpu,
                std::function<void()> then, std::size_t k = 0) {
    if (k >= folios.size()) {
      if (!folios.empty()) host_.placement_changed();
      then();
      return;
    }
    const std::size_t i = folios[k];
    mover_.move(i, dst, why, kcpu,
                [this, folios = std::move(folios), dst, why, kcpu, then, k](bool moved) mutable {
                  if (moved) detector_->moved(folios[k]);
                  move_all(std::move(folios), dst, why, kcpu, std::move(then), k + 1);
                });
  }

  Tick scan_cost_;
  double reserve_;
  Tick cooling_;
  FolioMover mover_;
  std::unique_ptr<HotnessDetector> detector_;
  int cpu_ = -1;
  int fast_ = -1, slow_ = -1;  // named by the policy, -1: the kernel's tiers
  bool running_ = false;
  Tick next_ = 0, next_cool_ = 0, thread_cpu_ = 0;
  std::uint64_t passes_ = 0, no_tiers_ = 0;
};

}  // namespace models
