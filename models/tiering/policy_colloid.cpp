// `colloid_like`: Colloid (SOSP'24) over a sampling detector (pebs by default). Instead of
// packing the hottest folios into the fast tier, it balances the tiers' loaded access
// latencies: a fast tier whose queues have built up (its bandwidth saturated) can be slower
// than the idle slow tier, and then moving accesses off it helps. Each pass reads the two
// tiers' current loaded latencies (Colloid measures them from the memory controllers' queue
// occupancy and arrival rate, Little's law; here the model's own loaded latencies) and
//  - promotes the slow node's hottest folios while the fast tier's latency is below the slow
//    tier's by more than `tolerance`,
//  - demotes the fast node's hottest folios while it is above by more than `tolerance`
//    (moving hot folios shifts the most access probability per byte moved),
// The amount is Colloid's search for the fast tier's access share p at which the latencies
// meet (the latencies are re-solved for the placement of the moment first): p (the fast node's
// share of the counts) is a lower bound of it while the fast tier is the faster one, an upper bound
// while it is the slower; each pass moves folios whose counts together carry the difference between
// p and the middle of the bounds (at least one folio, at most `batch`), so the steps halve as the
// bounds close in (a bisection), and the placement settles where the latencies are equal. When p
// falls outside the bounds by more than `tolerance` (the hot set moved) or the bounds have closed
// while the latencies still differ (the load changed), the bounds reset. A promotion into a fast
// node short of room demotes its coldest folios to make it, only those it is `swap_ratio`
// times hotter than.
#include <cmath>

#include "models/tiering/periodic_tiering.h"

namespace models {

class ColloidLike final : public PeriodicTiering {
 public:
  static constexpr const char* kDoc =
      "Colloid-like: balances the tiers' loaded access latencies; promotes hot folios while "
      "the fast tier is the faster one, demotes hot folios while it is the slower one.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = [] {
      sim::ParamList l = base_params();
      l.push_back(sim::p_double("tolerance", 0.05,
                                "relative latency difference within which nothing moves (est.)", 0,
                                1));
      l.push_back(sim::p_double("swap_ratio", 2.0,
                                "a promotion into a full fast node displaces only folios whose "
                                "counts it exceeds this many times (hysteresis against sampling "
                                "noise; est.)",
                                1, 1e6));
      return l;
    }();
    return p;
  }
  ColloidLike(sim::RunContext& ctx, const sim::Params& p)
      : PeriodicTiering(ctx, p), tol_(p.d("tolerance")), swap_ratio_(p.d("swap_ratio")) {}

  void finish() override {
    PeriodicTiering::finish();
    auto& st = ctx_.sim().stats();
    st.set_metric("tiering.colloid.fast_latency_ns", lf_);
    st.set_metric("tiering.colloid.slow_latency_ns", ls_);
    st.set_metric("tiering.colloid.balanced_passes", static_cast<double>(balanced_));
  }

 protected:
  Plan plan(int fast, int slow, const std::vector<double>& heat) override {
    Plan pl;
    lf_ = host_.node_latency_ns(fast);
    ls_ = host_.node_latency_ns(slow);
    double total = 0;
    for (double h : heat) total += h;
    if (!(lf_ > 0) || !(ls_ > 0) || total <= 0) return pl;  // nothing measured yet
    const Mm& mm = *host_.mm;
    double p = 0;
    for (std::size_t i = 0; i < mm.size(); ++i)
      if (mm.folio(i).node == fast) p += heat[i] / total;
    const bool faster = lf_<ls_*(1 - tol_), slower = lf_> ls_ * (1 + tol_);
    if (!faster && !slower) {
      ++balanced_;
      return pl;
    }
    if (hi_ - lo_ < kClosed || p < lo_ - tol_ || p > hi_ + tol_) {  // closed, or the load moved
      lo_ = 0;
      hi_ = 1;
    }
    (faster ? lo_ : hi_) = p;
    const double share = std::abs((lo_ + hi_) / 2 - p);
    auto take = [&](const std::vector<std::size_t>& from, std::vector<std::size_t>& to) {
      double moved = 0;
      for (std::size_t i : from) {
        if (to.size() >= batch_ || heat[i] <= 0) break;
        if (!to.empty() && moved + heat[i] / total > share) continue;  // a smaller one may fit
        to.push_back(i);
        moved += heat[i] / total;
      }
    };
    if (faster) {
      std::vector<std::size_t> cand;
      take(by_heat(slow, heat), cand);
      double free = std::max(0.0, room(fast));
      const std::vector<std::size_t> cold = by_heat(fast, heat);
      auto c = cold.rbegin();  // coldest first
      for (std::size_t i : cand) {
        const auto b = static_cast<double>(mm.folio(i).bytes());
        // Room is made by demoting folios the candidate is swap_ratio times hotter than.
        while (free < b && c != cold.rend() && pl.demote.size() < batch_ &&
               heat[i] > swap_ratio_ * heat[*c]) {
          pl.demote.push_back(*c);
          free += static_cast<double>(mm.folio(*c).bytes());
          ++c;
        }
        if (free < b) break;
        pl.promote.push_back(i);
        free -= b;
      }
    } else {
      take(by_heat(fast, heat), pl.demote);
    }
    return pl;
  }

 private:
  static constexpr double kClosed = 1e-3;
  double tol_, swap_ratio_;
  double lo_ = 0, hi_ = 1;  // bounds of the fast tier's access share where latencies meet
  double lf_ = 0, ls_ = 0;
  std::uint64_t balanced_ = 0;
};

HETSIM_REGISTER(TieringPolicy, ColloidLike, "colloid_like");

}  // namespace models
