#pragma once
// PHOLD-style engine benchmark through the public API: W x H components on a 2-D torus,
// `messages` per component at start; each delivery forwards the message to a uniformly
// random neighbour over a 1 ns link, until the stop time.
#include <cstdint>

#include "sim/time.h"

namespace sim {

struct PholdResult {
  std::uint64_t events;
  double wall_seconds;
  double events_per_sec;
  Tick sim_time;
};

PholdResult run_phold(int width, int height, Tick stop, std::uint64_t seed = 1, int messages = 4,
                      Tick link_latency = kNs);

}  // namespace sim
