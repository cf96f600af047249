// `tpp`: transparent page placement (TPP, ASPLOS'23, and its upstream form): NUMA-balancing
// promotion (numa_balancing.h) plus demotion by reclaim. When the top-tier node's free memory
// falls under `demote_wmark` of its capacity, kswapd of that node wakes and walks the
// process's folios on it from the least recently used (by last access), giving a folio whose
// accessed bit is set a second chance (folio_referenced clears it), and demotes up to
// `batch` cold folios per pass through the migration `demote` entry point to the node's CXL
// node (one after another, as demote_folio_list migrates its list), until `demote_target_free` is
// free. Each folio examined costs `lru_scan_cost` of kswapd's CPU (the last CPU of the node's
// socket, est.). Promotion into a node whose free memory would fall under `demote_wmark` is refused
// and wakes kswapd (the fault leaves the folio; kswapd makes room), as migrate_balanced_pgdat
// refuses below the high watermark.
#include <algorithm>
#include <numeric>

#include "models/memory/node_memory.h"
#include "models/tiering/numa_balancing.h"

namespace models {

class Tpp final : public NumaBalancing {
 public:
  static constexpr const char* kDoc =
      "NUMA-balancing promotion plus kswapd demotion of the least recently used folios of the "
      "top-tier node when its free memory falls under a watermark (TPP).";
  static const sim::ParamList& params() {
    static const sim::ParamList p = [] {
      sim::ParamList l = base_params();
      l.push_back(sim::p_double("demote_wmark", 0.02,
                                "kswapd wakes when the top-tier node's free memory is under this "
                                "fraction of its capacity (watermark plus demote headroom; est.)",
                                0, 1));
      l.push_back(sim::p_double("demote_target_free", 0.04,
                                "kswapd demotes until this fraction of the node is free (est.)", 0,
                                1));
      l.push_back(sim::p_time("lru_scan_cost", "200ns",
                              "kswapd's work per folio examined: LRU isolation and the "
                              "folio_referenced rmap walk (est.)"));
      l.push_back(sim::p_int("batch", 32, "folios demoted per pass (SWAP_CLUSTER_MAX)", 1, 4096));
      return l;
    }();
    return p;
  }
  Tpp(sim::RunContext& ctx, const sim::Params& p)
      : NumaBalancing(ctx, p),
        low_(p.d("demote_wmark")),
        high_(p.d("demote_target_free")),
        lru_cost_(p.time("lru_scan_cost")),
        batch_(static_cast<std::size_t>(p.i("batch"))) {
    mover_.enable_demotion();
    if (high_ < low_)
      p.where("demote_target_free")
          .fail("at least demote_wmark (" + std::to_string(low_) + ")", std::to_string(high_));
  }

  void finish() override {
    NumaBalancing::finish();
    auto& st = ctx_.sim().stats();
    st.set_metric("tiering.kswapd_wakeups", static_cast<double>(wakeups_));
    st.set_metric("tiering.kswapd_cpu_us", sim::to_us(kswapd_cpu_));
  }

 protected:
  bool may_promote(int dst, std::uint64_t bytes) override {
    const double free = static_cast<double>(mem_.free_bytes(dst)) - static_cast<double>(bytes);
    if (free >= low_ * static_cast<double>(mem_.capacity(dst))) return true;
    wake_ = true;  // a refused promotion wakes kswapd to make room
    return false;
  }

  void at_point(int cpu) override {
    const int node = local_toptier(pf_, cpu);
    if (node < 0 || running_ || !(wake_ || under(node, low_))) return;
    wake_ = false;
    const int target = demotion_target(pf_, node);
    if (target < 0) return;
    running_ = true;
    ++wakeups_;
    int kcpu = 0;
    for (const Cpu& c : pf_.cpus())
      if (c.socket == pf_.nodes()[static_cast<std::size_t>(node)].socket) kcpu = c.id;
    pass(node, target, kcpu);
  }

 private:
  bool under(int node, double fraction) const {
    return static_cast<double>(mem_.free_bytes(node)) <
           fraction * static_cast<double>(mem_.capacity(node));
  }
  // One kswapd pass: examine folios from the coldest, demote up to `batch`, then go again
  // while the node is under its target.
  void pass(int node, int target, int kcpu) {
    if (!under(node, high_)) {
      running_ = false;
      return;
    }
    Mm& mm = *host_.mm;
    std::vector<std::size_t> lru;
    for (std::size_t i = 0; i < mm.size(); ++i)
      if (mm.folio(i).node == node && !mover_.busy(i)) lru.push_back(i);
    std::stable_sort(lru.begin(), lru.end(), [&](std::size_t a, std::size_t b) {
      return mm.folio(a).access.last < mm.folio(b).access.last;
    });
    std::vector<std::size_t> cold;
    std::size_t examined = 0;
    for (std::size_t i : lru) {
      if (cold.size() >= batch_) break;
      ++examined;
      if (mm.test_and_clear_accessed(i)) continue;  // referenced: a second chance
      cold.push_back(i);
    }
    const Tick cost = lru_cost_ * examined;
    kswapd_cpu_ += cost;
    if (examined == 0) {  // nothing of this process to reclaim here
      running_ = false;
      return;
    }
    pf_.exec().kernel(kcpu, cost, [this, node, target, kcpu, cold] {
      if (cold.empty()) {  // all referenced this time round: their bits are clear now
        pass(node, target, kcpu);
        return;
      }
      demote(cold, 0, node, target, kcpu);
    });
  }

  // demote_folio_list: kswapd migrates the batch one folio after another (one thread, one
  // copy at a time), then tells the process and goes on with its next pass.
  void demote(std::vector<std::size_t> cold, std::size_t k, int node, int target, int kcpu) {
    if (k >= cold.size()) {
      host_.placement_changed();
      pass(node, target, kcpu);
      return;
    }
    const std::size_t i = cold[k];
    mover_.move(i, target, MigrationReason::Demote, kcpu,
                [this, cold = std::move(cold), k, node, target, kcpu](bool moved) mutable {
                  if (moved) detector_->moved(cold[k]);
                  demote(std::move(cold), k + 1, node, target, kcpu);
                });
  }

  double low_, high_;
  Tick lru_cost_;
  std::size_t batch_;
  bool running_ = false, wake_ = false;
  std::uint64_t wakeups_ = 0;
  Tick kswapd_cpu_ = 0;
};

HETSIM_REGISTER(TieringPolicy, Tpp, "tpp");

}  // namespace models
