// `tpp`: transparent page placement (TPP, ASPLOS'23, and its upstream form): NUMA-balancing
// promotion (numa_balancing.h) plus demotion by reclaim with allocation and reclaim decoupled.
// The run's kswapd (kswapd.h) does the reclaim: a top-tier node wakes it when its free memory
// falls under `demote_wmark` of its capacity (not only under the allocator's low watermark),
// and it demotes the node's least recently used folios until `demote_target_free` of it is
// free. Promotion into a node whose free memory would fall under `demote_wmark` is refused
// and wakes that node's kswapd (the fault leaves the folio; kswapd makes room), as
// migrate_balanced_pgdat refuses below the high watermark.
#include "models/memory/node_memory.h"
#include "models/tiering/numa_balancing.h"

namespace models {

class Tpp final : public NumaBalancing {
 public:
  static constexpr const char* kDoc =
      "NUMA-balancing promotion plus kswapd demotion of the least recently used folios of a "
      "top-tier node from a watermark of its own (TPP's decoupled allocation and reclaim).";
  static const sim::ParamList& params() {
    static const sim::ParamList p = [] {
      sim::ParamList l = base_params();
      l.push_back(sim::p_double("demote_wmark", 0.02,
                                "kswapd wakes when a top-tier node's free memory is under this "
                                "fraction of its capacity (watermark plus demote headroom; est.)",
                                0, 1));
      l.push_back(sim::p_double("demote_target_free", 0.04,
                                "kswapd demotes until this fraction of the node is free (est.)", 0,
                                1));
      return l;
    }();
    return p;
  }
  Tpp(sim::RunContext& ctx, const sim::Params& p)
      : NumaBalancing(ctx, p), low_(p.d("demote_wmark")) {
    const double high = p.d("demote_target_free");
    if (high < low_)
      p.where("demote_target_free")
          .fail("at least demote_wmark (" + std::to_string(low_) + ")", std::to_string(high));
    mover_.enable_demotion();
    Kswapd::of(ctx).set_demote_marks(low_, high);
  }

 protected:
  bool may_promote(int dst, std::uint64_t bytes) override {
    const double free = static_cast<double>(mem_.free_bytes(dst)) - static_cast<double>(bytes);
    if (free >= low_ * static_cast<double>(mem_.capacity(dst))) return true;
    Kswapd::of(ctx_).wake(dst, bytes);  // a refused promotion wakes kswapd to make room
    return false;
  }

 private:
  double low_;
};

HETSIM_REGISTER(TieringPolicy, Tpp, "tpp");

}  // namespace models
