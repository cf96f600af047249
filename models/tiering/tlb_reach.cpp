#include "models/tiering/tlb_reach.h"

#include <cmath>
#include <limits>

namespace models {

namespace {

// Fraction of one translation's lookups that find it resident at characteristic time t.
double tlb_resident(double prob, double t) {
  if (std::isinf(t)) return 1;
  return -std::expm1(-prob * t);
}

// Che's characteristic time of an LRU array of `capacity` entries (infinity: the footprint
// fits).
double tlb_che_time(const std::vector<TlbPages>& pages, double capacity) {
  double footprint = 0;
  for (const TlbPages& g : pages)
    if (g.prob > 0) footprint += g.entries;
  if (footprint <= capacity) return std::numeric_limits<double>::infinity();
  auto held = [&](double t) {
    double s = 0;
    for (const TlbPages& g : pages)
      if (g.prob > 0) s += g.entries * tlb_resident(g.prob, t);
    return s;
  };
  double lo = 0, hi = 1;
  while (held(hi) < capacity) hi *= 2;
  for (int i = 0; i < 100 && hi - lo > 1e-12 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (held(mid) < capacity ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

double tlb_hits_at(const std::vector<TlbPages>& pages, double t) {
  double h = 0;
  for (const TlbPages& g : pages) h += g.entries * g.prob * tlb_resident(g.prob, t);
  return h;
}

}  // namespace

double lru_hit_ratio(const std::vector<TlbPages>& pages, double capacity) {
  return std::fmin(1.0, tlb_hits_at(pages, tlb_che_time(pages, capacity)));
}

TlbReach tlb_reach(const TlbReachInput& in) {
  TlbReach r;
  for (const TlbPages& g : in.pages)
    if (g.prob > 0) r.entries += g.entries;
  const double run = std::fmax(1.0, in.run);
  const double h1 = lru_hit_ratio(in.pages, in.l1_entries);
  const double t2 = tlb_che_time(in.pages, std::fmax(in.l1_entries, in.l2_entries));
  const double h12 = std::fmax(h1, std::fmin(1.0, tlb_hits_at(in.pages, t2)));
  r.l2_hits = (h12 - h1) / run;
  r.walks = (1 - h12) / run;
  if (r.walks <= 0) return r;
  // The walks' leaf lines (each translation missing with probability exp(-p T2)) and the
  // application's data lines, one stream into the thread's cache share.
  std::vector<TlbPages> stream;
  const double total = 1 + r.walks;
  for (const TlbPages& g : in.lines) stream.push_back({g.entries, g.prob / total});
  const std::size_t first_pt = stream.size();
  const double epl = std::fmax(1.0, in.entries_per_line);
  double walk_sum = 0;
  for (const TlbPages& g : in.pages) {
    const double miss = g.prob * (1 - tlb_resident(g.prob, t2));  // per lookup, per entry
    if (miss <= 0) continue;
    walk_sum += g.entries * miss;
    stream.push_back({g.entries / epl, epl * miss});
  }
  if (walk_sum <= 0) return r;
  for (std::size_t i = first_pt; i < stream.size(); ++i)
    stream[i].prob *= r.walks / walk_sum / total;
  const double t = tlb_che_time(stream, in.cache_lines);
  double pt_hits = 0;
  for (std::size_t i = first_pt; i < stream.size(); ++i)
    pt_hits += stream[i].entries * stream[i].prob * tlb_resident(stream[i].prob, t);
  const double pt_hit = std::fmin(1.0, pt_hits * total / r.walks);
  r.walk_mem = r.walks * (1 - pt_hit);
  return r;
}

}  // namespace models
