#pragma once
// A diagnostic log (spdlog, on stderr) of the decisions models and policies take: which copy
// agent a migration batch got and why, which task a balancer moved where. Off unless asked
// for (hetsim -v / --log-level, hetsim.set_log_level); when off, a call costs one level
// check and formats nothing. Lines carry the simulated time; runs of a parallel sweep
// interleave theirs.
#include <spdlog/spdlog.h>

#include <string>

#include "sim/time.h"

namespace sim {

// "off", "error", "warn", "info", "debug" (policy decisions) or "trace"; anything else is an
// InputError naming `origin` (the option that gave it).
void set_log_level(const std::string& level, const std::string& origin = "--log-level");
spdlog::logger& logger();
inline bool log_on(spdlog::level::level_enum l) { return logger().should_log(l); }

}  // namespace sim

// HETSIM_LOG(debug, now, "format {}", args...): one line at simulated time `now`.
#define HETSIM_LOG(lvl, now, ...)                                                  \
  do {                                                                             \
    if (::sim::log_on(spdlog::level::lvl))                                         \
      ::sim::logger().log(spdlog::level::lvl, "{:>12.3f}us {}", ::sim::to_us(now), \
                          fmt::format(__VA_ARGS__));                               \
  } while (0)
