// `memtis_like`: MEMTIS (SOSP'23) without its huge-page split. Access counts from a sampling
// detector (pebs by default) go into a histogram of log2 bins (bin b: counts in
// [2^(b-1), 2^b), bin 0: none); the hot threshold is the lowest bin such that every folio in
// it and above fits in what the process may hold on the fast node (its folios there plus
// the free memory over the reserve): the hot set is sized to the fast tier's capacity, not
// to a fixed count. The bin just under the threshold is warm (MEMTIS's warm set: neither
// promoted nor demoted, a hysteresis against sampling noise). Each pass of the migration
// thread (kmigrated) demotes the fast node's cold folios (under the warm bin), coldest
// first, as far as the hot ones need room, and promotes
// the slow node's folios at or over it, hottest first, at most `batch` each. Counts are
// halved every cooling_period (MEMTIS cools when its sample count reaches a limit; a time
// period here, est.), so the histogram follows a shifting hot set.
#include <cmath>

#include "models/tiering/periodic_tiering.h"

namespace models {

class MemtisLike final : public PeriodicTiering {
 public:
  static constexpr const char* kDoc =
      "MEMTIS-like: a histogram of sampled access counts; the hot threshold sizes the hot set "
      "to the fast tier's capacity; a migration thread promotes hot and demotes cold folios; "
      "counts cool over time.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = base_params();
    return p;
  }
  MemtisLike(sim::RunContext& ctx, const sim::Params& p) : PeriodicTiering(ctx, p) {}

  void finish() override {
    PeriodicTiering::finish();
    ctx_.sim().stats().set_metric("tiering.memtis.hot_threshold_bin",
                                  static_cast<double>(threshold_));
  }

 protected:
  Plan plan(int fast, int slow, const std::vector<double>& heat) override {
    constexpr int kBins = 32;
    const Mm& mm = *host_.mm;
    auto bin = [&](std::size_t i) {
      return heat[i] < 1 ? 0 : std::min(kBins - 1, 1 + static_cast<int>(std::log2(heat[i])));
    };
    std::vector<double> bytes(kBins, 0.0);
    double on_fast = 0;
    for (std::size_t i = 0; i < mm.size(); ++i) {
      bytes[static_cast<std::size_t>(bin(i))] += static_cast<double>(mm.folio(i).bytes());
      if (mm.folio(i).node == fast) on_fast += static_cast<double>(mm.folio(i).bytes());
    }
    const double capacity = on_fast + room(fast);
    // The lowest bin (never 0: unsampled folios are not hot) whose set from it up fits.
    int t = kBins;
    double sum = 0;
    for (int b = kBins - 1; b >= 1; --b) {
      if (sum + bytes[static_cast<std::size_t>(b)] > capacity) break;
      sum += bytes[static_cast<std::size_t>(b)];
      t = b;
    }
    threshold_ = t;
    Plan pl;
    double need = 0;
    for (std::size_t i : by_heat(slow, heat)) {
      if (pl.promote.size() >= batch_ || bin(i) < t) break;
      pl.promote.push_back(i);
      need += static_cast<double>(mm.folio(i).bytes());
    }
    need -= std::max(0.0, room(fast));
    std::vector<std::size_t> cold = by_heat(fast, heat);
    for (auto it = cold.rbegin(); it != cold.rend() && need > 0; ++it) {
      if (pl.demote.size() >= batch_ || bin(*it) >= t - 1) break;  // warm or hot: stays
      pl.demote.push_back(*it);
      need -= static_cast<double>(mm.folio(*it).bytes());
    }
    // Promotions that would not fit wait for the next pass.
    while (need > 0 && !pl.promote.empty()) {
      need -= static_cast<double>(mm.folio(pl.promote.back()).bytes());
      pl.promote.pop_back();
    }
    return pl;
  }

 private:
  int threshold_ = 0;
};

HETSIM_REGISTER(TieringPolicy, MemtisLike, "memtis_like");

}  // namespace models
