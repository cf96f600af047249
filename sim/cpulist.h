#pragma once
// Sets of CPUs are written one way everywhere: a Linux cpulist string ("0-7,64-71", "" for the
// empty set). Every index is checked against the machine as the 64-bit value it was written
// as, before anything narrows it.
#include <cstdint>
#include <string>
#include <vector>

#include "sim/json.h"

namespace sim {

// The CPUs of `text`, ascending and without repeats, each below `count`. Bad syntax, a number
// that overflows or a CPU at or beyond `count` fails at `where`.
std::vector<int> parse_cpulist(const std::string& text, std::uint64_t count, const Where& where);

// The inverse: ascending CPUs as the shortest cpulist ("0-3,8").
std::string format_cpulist(const std::vector<int>& cpus);

// An index (CPU, engine, socket, node) as given in the input, checked against `count` before it
// is narrowed: `what` names the thing indexed ("CPU", "DMA engine").
int checked_index(std::int64_t value, std::uint64_t count, const std::string& what,
                  const Where& where);

}  // namespace sim
