#pragma once
// Simulated time: unsigned 64-bit picoseconds (about 213 days of range).
#include <cstdint>

namespace sim {

using Tick = std::uint64_t;

inline constexpr Tick kPs = 1;
inline constexpr Tick kNs = 1000 * kPs;
inline constexpr Tick kUs = 1000 * kNs;
inline constexpr Tick kMs = 1000 * kUs;
inline constexpr Tick kSec = 1000 * kMs;
inline constexpr Tick kMaxTick = ~Tick{0};

constexpr Tick ns(double v) { return static_cast<Tick>(v * kNs + 0.5); }
constexpr Tick us(double v) { return static_cast<Tick>(v * kUs + 0.5); }
constexpr Tick ms(double v) { return static_cast<Tick>(v * kMs + 0.5); }
constexpr double to_seconds(Tick t) { return static_cast<double>(t) / kSec; }
constexpr double to_ns(Tick t) { return static_cast<double>(t) / kNs; }
constexpr double to_us(Tick t) { return static_cast<double>(t) / kUs; }

// Time to move `bytes` at `bytes_per_sec`, rounded up to a whole picosecond; kMaxTick when
// it would not fit in the time range (or the rate is zero).
inline Tick transfer_time(double bytes, double bytes_per_sec) {
  double t = bytes / bytes_per_sec * static_cast<double>(kSec);
  if (!(t < 1.8e19)) return kMaxTick;
  Tick w = static_cast<Tick>(t);
  return (static_cast<double>(w) < t) ? w + 1 : w;
}

}  // namespace sim
