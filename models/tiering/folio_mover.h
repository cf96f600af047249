#pragma once
// FolioMover: how every tiering policy moves one folio, through the migration mechanism's
// entry point for its reason (Fault, Promote, Demote), keeping the folios in flight (a folio
// is not moved twice at once) and the live promotion/demotion counters. The caller tells
// the process its placement changed when it sees fit (after a batch). A move that takes a
// folio back to the node it left within `pingpong_window` of leaving it is ping-pong.
#include <functional>
#include <vector>

#include "models/migration/migrator.h"
#include "models/tiering/tiering_policy.h"

namespace models {

class FolioMover {
 public:
  static sim::ParamSpec window_param() {
    return sim::p_time("pingpong_window", "1s",
                       "a move back to the node a folio left within this time counts as "
                       "ping-pong (metric tiering.pingpong only)");
  }
  FolioMover(sim::RunContext& ctx, Tick pingpong_window)
      : ctx_(ctx),
        window_(pingpong_window),
        promoted_(&ctx.sim().stats().counter("tiering.promotions")),
        promoted_bytes_(&ctx.sim().stats().counter("tiering.promoted_bytes")) {
    // The migration mechanism is built with the run (its policy slot, its figures), not at
    // the first move.
    Migrator::of(ctx);
  }
  // Policies that demote count demotions too.
  void enable_demotion() {
    demoted_ = &ctx_.sim().stats().counter("tiering.demotions");
    demoted_bytes_ = &ctx_.sim().stats().counter("tiering.demoted_bytes");
  }
  void attach(Mm* mm) {
    mm_ = mm;
    busy_.assign(mm->size(), 0);
    left_.assign(mm->size(), Left{-1, 0});
  }
  void finish() {
    auto& st = ctx_.sim().stats();
    st.set_metric("tiering.pingpong", static_cast<double>(pingpong_));
    st.set_metric("tiering.pingpong_bytes", static_cast<double>(pingpong_bytes_));
  }
  // Being moved by this mover or by another (kswapd).
  bool busy(std::size_t i) const { return busy_[i] != 0 || mm_->in_flight(i); }

  // Moves folio `i` to `dst`; `done(moved)`: false when the target was full, or another mover
  // had the folio, and it stayed where it was.
  void move(std::size_t i, int dst, MigrationReason reason, int cpu,
            std::function<void(bool)> done) {
    if (mm_->in_flight(i)) {  // taken by kswapd since the caller chose it: it stays
      ctx_.sim().call_after(0, [done = std::move(done)] { done(false); });
      return;
    }
    busy_[i] = 1;
    mm_->set_in_flight(i, true);
    MigrationJob job;
    job.reason = reason;
    job.as = mm_;
    job.first = i;
    job.count = 1;
    job.dst = dst;
    job.cpu = cpu;
    const int from = mm_->folio(i).node;
    Migrator::of(ctx_).submit(job, [this, i, from, dst, reason, done] {
      busy_[i] = 0;
      mm_->set_in_flight(i, false);
      const bool moved = mm_->folio(i).node == dst;
      if (moved) record(i, from, reason);
      done(moved);
    });
  }
  // Counts a move that happened (by this mover or by kswapd): the promotion or demotion
  // counters, and ping-pong when it took the folio back to the node it left lately.
  void record(std::size_t i, int from, MigrationReason reason) {
    const Folio& f = mm_->folio(i);
    const bool demote = reason == MigrationReason::Demote;
    if (demote && !demoted_) enable_demotion();
    (demote ? demoted_ : promoted_)->add();
    (demote ? demoted_bytes_ : promoted_bytes_)->add(static_cast<double>(f.bytes()));
    const Tick now = ctx_.sim().now();
    Left& l = left_[i];
    if (l.node == f.node && now - l.at <= window_) {
      ++pingpong_;
      pingpong_bytes_ += f.bytes();
    }
    l = Left{from, now};
  }

 private:
  struct Left {
    int node;  // the node the folio last left, -1 none
    Tick at;
  };
  sim::RunContext& ctx_;
  Tick window_;
  std::vector<Left> left_;
  std::uint64_t pingpong_ = 0, pingpong_bytes_ = 0;
  Mm* mm_ = nullptr;
  std::vector<char> busy_;
  sim::Counter *promoted_, *promoted_bytes_;
  sim::Counter *demoted_ = nullptr, *demoted_bytes_ = nullptr;
};

}  // namespace models
