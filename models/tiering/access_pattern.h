#pragma once
// Which folios an application's accesses hit: a popularity ranking over its folios (uniform,
// Zipf with exponent s, or a hot set taking a share of the accesses) laid over the address
// space by a random permutation, so that a folio's address says nothing of its heat (as
// with first-touch allocation of a heap). The ranking can shift: at shift k the ranks rotate
// by k * step folios, moving the hot set to folios that were cold.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/rng.h"

namespace models {

class AccessPattern {
 public:
  enum class Kind { Uniform, Zipf, HotSet };
  struct Spec {
    Kind kind = Kind::Uniform;
    double zipf_s = 0.99;
    double hot_fraction = 0.1;   // of the folios
    double hot_share = 0.9;      // of the accesses
    std::size_t shift_step = 0;  // folios the ranking rotates by per shift
  };
  AccessPattern(const Spec& spec, std::size_t folios, sim::Rng& rng);

  std::size_t size() const { return perm_.size(); }
  // The probability that an access hits folio i (sums to 1 over the folios).
  double weight(std::size_t folio) const { return folio_w_[folio]; }
  // Moves the ranking to shift k (0: as built).
  void set_shift(std::uint64_t k);
  std::uint64_t shift() const { return shift_; }
  // One access, drawn from the weights.
  std::size_t draw(sim::Rng& rng) const;
  // Replaces the pattern by explicit weights, one per folio (not all zero; normalised here):
  // for workloads whose accesses follow their own state (a KV cache's live requests, an
  // optimizer's current shard). Ranks follow the weights, heaviest first (ties by folio).
  void set_weights(const std::vector<double>& w);
  // The folio of rank r (0: the most popular; r < size()) at the current shift.
  std::size_t folio_of_rank(std::size_t r) const {
    const std::size_t i = r + offset_;  // both below size(): one wrap at most, no division
    return perm_[i < perm_.size() ? i : i - perm_.size()];
  }

 private:
  // Indexes cdf_ for draw(): guide_[k] is the first rank whose cdf exceeds k / guide_scale_.
  void build_guide();

  std::vector<std::size_t> perm_;  // rank (at shift 0) -> folio
  std::vector<double> rank_w_, cdf_, folio_w_;
  std::vector<std::uint32_t> guide_;
  double guide_scale_ = 0;
  std::size_t step_, offset_ = 0;
  std::uint64_t shift_ = 0;
};

}  // namespace models
