#include "sim/log.h"

#include <spdlog/sinks/stdout_sinks.h>

#include "sim/error.h"

namespace sim {

spdlog::logger& logger() {
  static std::shared_ptr<spdlog::logger> lg = [] {
    auto l = std::make_shared<spdlog::logger>("hetsim",
                                              std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_pattern("hetsim %l: %v");
    l->set_level(spdlog::level::off);
    return l;
  }();
  return *lg;
}

void set_log_level(const std::string& level, const std::string& origin) {
  static const char* const names[] = {"off", "error", "warn", "info", "debug", "trace"};
  static const spdlog::level::level_enum levels[] = {spdlog::level::off,   spdlog::level::err,
                                                     spdlog::level::warn,  spdlog::level::info,
                                                     spdlog::level::debug, spdlog::level::trace};
  for (int i = 0; i < 6; ++i)
    if (level == names[i]) {
      logger().set_level(levels[i]);
      return;
    }
  throw InputError(origin, "", "a log level (off, error, warn, info, debug, trace)",
                   "\"" + level + "\"");
}

}  // namespace sim
