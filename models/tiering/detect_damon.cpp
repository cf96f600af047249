// `damon`: data access monitoring by regions (mm/damon/core.c, the virtual-address
// operations of mm/damon/vaddr.c), run by its kernel thread, kdamond.
// - The process's address space (its folios, in order) is cut into regions, at first
//   min_nr_regions equal ones. Every `sample_interval` kdamond checks, in each region, the
//   accessed bit of the folio it cleared at the previous sample (damon_va_check_accesses)
//   and counts a hit in the region's nr_accesses, then picks a new random folio in the
//   region and clears its bit (damon_va_prepare_access_checks).
// - Every `aggr_interval` (kdamond_merge_regions) adjacent regions whose nr_accesses differ
//   by at most a threshold merge (their counts averaged by size) as long as the merged size
//   stays within the total / min_nr_regions; the threshold starts at a tenth of the largest
//   count and doubles while more than max_nr_regions remain. The counts become the regions'
//   heat and restart; then (kdamond_split_regions), while there are at most max_nr_regions /
//   2 regions, each region splits in two (three when the count did not change since the
//   last split and stays under max_nr_regions / 3) at random points, so the count stays
//   within [min_nr_regions, max_nr_regions].
// - kdamond's work is `region_cost` per region checked per sample (a page-table walk to the
//   folio, its accessed bit) plus `region_cost` per region at each aggregation: kernel time
//   on `cpu` through the scheduler, competing with tasks there.
// - A folio's heat is its region's last aggregated count; a slow-tier folio in a region
//   whose count reaches `hot_accesses` is signalled hot at aggregation.
// The accessed bits are those the process's sampled accesses set (tiered_app's `samples`).
#include <algorithm>
#include <vector>

#include "models/tiering/hotness.h"

namespace models {

namespace {

class Damon final : public HotnessDetector {
 public:
  static constexpr const char* kDoc =
      "DAMON-like region monitoring: kdamond samples one folio per region per sample_interval, "
      "merges and splits regions by their access counts every aggr_interval.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_time("sample_interval", "5ms", "time between access checks (DAMON default)"),
        sim::p_time("aggr_interval", "100ms",
                    "time between aggregations: merge, split, counts restart (DAMON default)"),
        sim::p_int("min_nr_regions", 10, "fewest regions (DAMON default)", 1, 1e9),
        sim::p_int("max_nr_regions", 1000, "most regions (DAMON default)", 3, 1e9),
        sim::p_time("region_cost", "500ns",
                    "kdamond's work per region per check: a page-table walk to the sampled "
                    "folio, reading and clearing its accessed bit (est.)"),
        sim::p_int("hot_accesses", 10,
                   "aggregated count at which a region's slow-tier folios are signalled hot", 1,
                   1e9),
        sim::p_int("cpu", -1,
                   "the CPU kdamond runs on (-1: the last CPU of the socket the process's "
                   "first accounting point ran on, est.)",
                   -1, 1e9),
    };
    return p;
  }
  Damon(sim::RunContext& ctx, const sim::Params& p)
      : ctx_(ctx),
        pf_(Machine::of(ctx)),
        sample_(p.time("sample_interval")),
        aggr_(p.time("aggr_interval")),
        min_(static_cast<std::size_t>(p.i("min_nr_regions"))),
        max_(static_cast<std::size_t>(p.i("max_nr_regions"))),
        cost_(p.time("region_cost")),
        hot_(static_cast<double>(p.i("hot_accesses"))),
        rng_(ctx.sim().seed(), "tiering.damon") {
    if (sample_ == 0) p.where("sample_interval").fail("a positive time", "0");
    if (aggr_ < sample_) p.where("aggr_interval").fail("at least sample_interval", "less");
    if (max_ < 3 * min_)
      p.where("max_nr_regions").fail("at least 3 x min_nr_regions", std::to_string(max_));
    const int n = pf_.exec().cpu_count();
    if (p.i("cpu") >= 0) cpu_ = p.index("cpu", static_cast<std::uint64_t>(n), "CPU");
  }

  void attach(const TieringHost& host, Sink sink) override {
    HotnessDetector::attach(host, std::move(sink));
    const std::size_t n = host.mm->size();
    // A process of fewer folios than min_nr_regions has one region per folio.
    const std::size_t k0 = std::min(min_, n);
    heat_.assign(n, 0.0);
    sz_limit_ = std::max<std::size_t>(1, n / min_);
    for (std::size_t k = 0; k < k0; ++k) {
      Region r;
      r.start = k * n / k0;
      r.end = (k + 1) * n / k0;
      regions_.push_back(r);
    }
    for (Region& r : regions_) prepare(r);
    next_sample_ = sample_;
    next_aggr_ = aggr_;
    seen_min_ = seen_max_ = regions_.size();
  }

  bool on_quantum(int, int cpu, double, std::function<void()>) override {
    if (cpu_ < 0)
      for (const Cpu& c : pf_.cpus())
        if (c.socket == pf_.cpus()[static_cast<std::size_t>(cpu)].socket) cpu_ = c.id;
    const Tick now = ctx_.sim().now();
    while (now >= next_sample_) {  // kdamond's loop, caught up at the threads' points
      Tick work = cost_ * regions_.size();
      for (Region& r : regions_) {
        if (host_.mm->test_and_clear_accessed(r.sampled)) r.nr += 1;
        prepare(r);
      }
      ++checks_;
      next_sample_ += sample_;
      if (next_sample_ > next_aggr_) {
        work += cost_ * regions_.size();
        aggregate();
        next_aggr_ += aggr_;
      }
      cpu_time_ += work;
      pf_.exec().kernel(cpu_, work, [] {});
    }
    return false;  // kdamond runs on its own CPU
  }

  bool ranks() const override { return true; }
  double heat(std::size_t i) const override { return heat_[i]; }

  void finish() override {
    auto& st = ctx_.sim().stats();
    st.set_metric("tiering.damon.regions", static_cast<double>(regions_.size()));
    st.set_metric("tiering.damon.min_regions", static_cast<double>(seen_min_));
    st.set_metric("tiering.damon.max_regions", static_cast<double>(seen_max_));
    st.set_metric("tiering.damon.checks", static_cast<double>(checks_));
    st.set_metric("tiering.damon.aggregations", static_cast<double>(aggregations_));
    st.set_metric("tiering.damon.cpu_us", sim::to_us(cpu_time_));
  }

 private:
  struct Region {
    std::size_t start = 0, end = 0;  // folios [start, end)
    std::size_t sampled = 0;
    double nr = 0, last = 0;
    std::size_t size() const { return end - start; }
  };

  void prepare(Region& r) {
    r.sampled = r.start + rng_.below(r.size());
    host_.mm->test_and_clear_accessed(r.sampled);
  }

  void note_count() {
    seen_min_ = std::min(seen_min_, regions_.size());
    seen_max_ = std::max(seen_max_, regions_.size());
  }

  void merge(double threshold) {
    std::vector<Region> out;
    for (const Region& r : regions_) {
      if (!out.empty()) {
        Region& l = out.back();
        if (std::abs(l.nr - r.nr) <= threshold && l.size() + r.size() <= sz_limit_) {
          l.nr = (l.nr * static_cast<double>(l.size()) + r.nr * static_cast<double>(r.size())) /
                 static_cast<double>(l.size() + r.size());
          l.end = r.end;
          continue;
        }
      }
      out.push_back(r);
    }
    regions_ = std::move(out);
  }

  void aggregate() {
    ++aggregations_;
    double top = 0;
    for (const Region& r : regions_) top = std::max(top, r.nr);
    const double max_thres = static_cast<double>(aggr_ / sample_);
    double threshold = std::max(1.0, top / 10);
    merge(threshold);
    while (regions_.size() > max_ && threshold < max_thres) {
      threshold *= 2;
      merge(threshold);
    }
    note_count();
    for (Region& r : regions_) {
      r.last = r.nr;
      r.nr = 0;
      for (std::size_t i = r.start; i < r.end; ++i) heat_[i] = r.last;
    }
    signal_hot();
    // Split.
    if (regions_.size() <= max_ / 2) {
      const std::size_t parts =
          regions_.size() == last_split_count_ && regions_.size() < max_ / 3 ? 3 : 2;
      std::vector<Region> out;
      for (const Region& r : regions_) {
        Region cur = r;
        for (std::size_t k = 1; k < parts; ++k) {
          // damon_split_regions_of: a cut at a random tenth of the region.
          const std::size_t cut = cur.size() * (1 + rng_.below(9)) / 10;
          if (cut == 0 || cut >= cur.size()) break;
          Region a = cur;
          a.end = cur.start + cut;
          cur.start = a.end;
          prepare(a);
          out.push_back(a);
        }
        prepare(cur);
        out.push_back(cur);
      }
      regions_ = std::move(out);
      last_split_count_ = regions_.size();
    }
    note_count();
  }

  void signal_hot() {
    const Tick now = ctx_.sim().now();
    for (const Region& r : regions_) {
      if (r.last < hot_) continue;
      for (std::size_t i = r.start; i < r.end; ++i) {
        const Folio& f = host_.mm->folio(i);
        if (is_toptier(pf_.nodes()[static_cast<std::size_t>(f.node)]) || host_.busy(i)) continue;
        HotSignal s;
        s.folio = i;
        s.cpu = cpu_;
        s.at = now;
        sink_(s, [] {});
      }
    }
  }

  sim::RunContext& ctx_;
  Machine& pf_;
  Tick sample_, aggr_;
  std::size_t min_, max_;
  Tick cost_;
  double hot_;
  int cpu_ = -1;
  sim::Rng rng_;
  std::vector<Region> regions_;
  std::vector<double> heat_;
  std::size_t sz_limit_ = 1, last_split_count_ = 0, seen_min_ = 0, seen_max_ = 0;
  Tick next_sample_ = 0, next_aggr_ = 0, cpu_time_ = 0;
  std::uint64_t checks_ = 0, aggregations_ = 0;
};

}  // namespace

HETSIM_REGISTER(HotnessDetector, Damon, "damon");

}  // namespace models
