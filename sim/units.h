#pragma once
// Quantities with units, as written in JSON: "110ns", "2.5us", "64GB/s", "2MiB", "2GHz".
// A bare number where a unit is needed is an error, not a guess.
#include <cstdint>
#include <optional>
#include <string>

#include "sim/time.h"

namespace sim {

enum class Dimension { Time, Size, Bandwidth, Frequency };

const char* dimension_example(Dimension d);  // e.g. "a time such as \"110ns\""

// Value in base units (picoseconds, bytes, bytes/s, Hz), or nullopt when the text is not a
// non-negative number followed by a unit of that dimension.
std::optional<double> parse_quantity(const std::string& text, Dimension d);

// A quantity of `d` that must also fit the 64-bit integer it becomes (times, sizes).
std::optional<std::uint64_t> parse_quantity_u64(const std::string& text, Dimension d);

// A decimal unsigned 64-bit integer: digits only, no sign, no overflow ("-1" is not 2^64-1).
std::optional<std::uint64_t> parse_u64(const std::string& text);

std::string format_time(Tick t);           // "1.5us"
std::string format_size(double bytes);     // "2MiB"
std::string format_bandwidth(double bps);  // "64GB/s"
// `v` with at most `digits` significant digits, as an ostream prints it ("0.125", "1e+09").
std::string format_number(double v, int digits);

}  // namespace sim
