#include "models/tiering/access_pattern.h"

#include <algorithm>
#include <cmath>

namespace models {

AccessPattern::AccessPattern(const Spec& spec, std::size_t folios, sim::Rng& rng)
    : perm_(folios), rank_w_(folios), cdf_(folios), folio_w_(folios), step_(spec.shift_step) {
  for (std::size_t i = 0; i < folios; ++i) perm_[i] = i;
  for (std::size_t i = folios; i > 1; --i) std::swap(perm_[i - 1], perm_[rng.below(i)]);
  const auto hot = static_cast<std::size_t>(
      std::clamp(std::llround(spec.hot_fraction * static_cast<double>(folios)), 1LL,
                 static_cast<long long>(folios)));
  double sum = 0;
  for (std::size_t r = 0; r < folios; ++r) {
    double w = 1;
    if (spec.kind == Kind::Zipf) {
      w = 1.0 / std::pow(static_cast<double>(r + 1), spec.zipf_s);
    } else if (spec.kind == Kind::HotSet) {
      w = r < hot        ? spec.hot_share / static_cast<double>(hot)
          : hot < folios ? (1 - spec.hot_share) / static_cast<double>(folios - hot)
                         : 0;
    }
    rank_w_[r] = w;
    sum += w;
  }
  double acc = 0;
  for (std::size_t r = 0; r < folios; ++r) {
    rank_w_[r] /= sum;
    acc += rank_w_[r];
    cdf_[r] = acc;
  }
  build_guide();
  set_shift(0);
}

void AccessPattern::set_shift(std::uint64_t k) {
  shift_ = k;
  const std::size_t n = perm_.size();
  offset_ = n ? static_cast<std::size_t>((k % n) * (step_ % n) % n) : 0;
  for (std::size_t r = 0; r < n; ++r) folio_w_[folio_of_rank(r)] = rank_w_[r];
}

void AccessPattern::set_weights(const std::vector<double>& w) {
  const std::size_t n = perm_.size();
  double sum = 0;
  for (double x : w) sum += x;
  for (std::size_t i = 0; i < n; ++i) perm_[i] = i;
  std::stable_sort(perm_.begin(), perm_.end(),
                   [&w](std::size_t a, std::size_t b) { return w[a] > w[b]; });
  double acc = 0;
  for (std::size_t r = 0; r < n; ++r) {
    rank_w_[r] = sum > 0 ? w[perm_[r]] / sum : 1.0 / static_cast<double>(n);
    acc += rank_w_[r];
    cdf_[r] = acc;
  }
  build_guide();
  step_ = 0;
  set_shift(0);
}

// An index of the cdf (a guide table for an indexed search): K buckets of equal probability,
// each with the first rank its range can draw. A draw then searches one bucket's ranks instead
// of all of them, and finds the same rank.
void AccessPattern::build_guide() {
  const std::size_t n = cdf_.size();
  const std::size_t k = std::clamp<std::size_t>(n, 1, std::size_t{1} << 16);
  guide_.assign(k + 1, 0);
  if (n == 0 || !(cdf_.back() > 0)) {
    guide_scale_ = 0;
    return;
  }
  guide_scale_ = static_cast<double>(k) / cdf_.back();
  std::size_t r = 0;
  for (std::size_t b = 0; b <= k; ++b) {
    const double t = static_cast<double>(b) / guide_scale_;
    while (r < n && !(cdf_[r] > t)) ++r;
    guide_[b] = static_cast<std::uint32_t>(r);
  }
}

std::size_t AccessPattern::draw(sim::Rng& rng) const {
  const double u = rng.uniform() * cdf_.back();
  // The first rank whose cdf exceeds u: searched within u's bucket of the guide, and checked
  // against the ranks around it (rounding may put u in a neighbouring bucket); the whole cdf
  // where that check fails.
  const std::size_t n = cdf_.size(), k = guide_.size() - 1;
  const auto b = std::min(k - 1, static_cast<std::size_t>(u * guide_scale_));
  const std::size_t lo = guide_[b], hi = std::min<std::size_t>(n, guide_[b + 1] + std::size_t{1});
  auto r =
      static_cast<std::size_t>(std::upper_bound(cdf_.begin() + static_cast<std::ptrdiff_t>(lo),
                                                cdf_.begin() + static_cast<std::ptrdiff_t>(hi), u) -
                               cdf_.begin());
  if ((lo > 0 && cdf_[lo - 1] > u) || (r == hi && hi < n))
    r = static_cast<std::size_t>(std::upper_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  return folio_of_rank(std::min(r, perm_.size() - 1));
}

}  // namespace models
