#include "sim/units.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iomanip>
#include <sstream>
#include <utility>

namespace sim {

namespace {

struct Unit {
  const char* name;
  double scale;
};

const Unit kTimeUnits[] = {{"ps", 1}, {"ns", 1e3}, {"us", 1e6}, {"ms", 1e9}, {"s", 1e12}};
const Unit kSizeUnits[] = {{"B", 1},           {"KB", 1e3},           {"MB", 1e6},
                           {"GB", 1e9},        {"TB", 1e12},          {"KiB", 1024.0},
                           {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"TiB", 1099511627776.0}};
const Unit kBwUnits[] = {{"B/s", 1},           {"KB/s", 1e3},           {"MB/s", 1e6},
                         {"GB/s", 1e9},        {"TB/s", 1e12},          {"KiB/s", 1024.0},
                         {"MiB/s", 1048576.0}, {"GiB/s", 1073741824.0}, {"TiB/s", 1099511627776.0}};
const Unit kFreqUnits[] = {{"Hz", 1}, {"kHz", 1e3}, {"MHz", 1e6}, {"GHz", 1e9}};

template <std::size_t N>
std::optional<double> lookup(const Unit (&units)[N], const std::string& u) {
  for (const Unit& x : units)
    if (u == x.name) return x.scale;
  return std::nullopt;
}

}  // namespace

const char* dimension_example(Dimension d) {
  switch (d) {
    case Dimension::Time:
      return "a time with a unit (ps, ns, us, ms, s), e.g. \"110ns\"";
    case Dimension::Size:
      return "a size with a unit (B, KB, MB, GB, KiB, MiB, GiB, ...), e.g. \"2MiB\"";
    case Dimension::Bandwidth:
      return "a bandwidth with a unit (B/s, MB/s, GB/s, GiB/s, ...), e.g. \"64GB/s\"";
    case Dimension::Frequency:
      return "a frequency with a unit (Hz, kHz, MHz, GHz), e.g. \"2GHz\"";
  }
  return "";
}

std::optional<double> parse_quantity(const std::string& text, Dimension d) {
  const char* begin = text.c_str();
  char* end = nullptr;
  double v = std::strtod(begin, &end);
  if (end == begin || !std::isfinite(v) || v < 0 || *begin == '-') return std::nullopt;
  std::string unit(end);
  while (!unit.empty() && unit.front() == ' ') unit.erase(unit.begin());
  std::optional<double> scale;
  switch (d) {
    case Dimension::Time:
      scale = lookup(kTimeUnits, unit);
      break;
    case Dimension::Size:
      scale = lookup(kSizeUnits, unit);
      break;
    case Dimension::Bandwidth:
      scale = lookup(kBwUnits, unit);
      break;
    case Dimension::Frequency:
      scale = lookup(kFreqUnits, unit);
      break;
  }
  if (!scale) return std::nullopt;
  return v * *scale;
}

std::optional<std::uint64_t> parse_quantity_u64(const std::string& text, Dimension d) {
  auto q = parse_quantity(text, d);
  // 2^64 is exactly representable; anything at or above it does not fit.
  if (!q || *q >= 18446744073709551616.0) return std::nullopt;
  return static_cast<std::uint64_t>(std::round(*q));
}

std::optional<std::uint64_t> parse_u64(const std::string& text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  return v;
}

namespace {
std::string fmt(double v, const char* unit) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g%s", v, unit);
  return buf;
}
}  // namespace

std::string format_time(Tick t) {
  double ps = static_cast<double>(t);
  if (ps >= 1e12) return fmt(ps / 1e12, "s");
  if (ps >= 1e9) return fmt(ps / 1e9, "ms");
  if (ps >= 1e6) return fmt(ps / 1e6, "us");
  if (ps >= 1e3) return fmt(ps / 1e3, "ns");
  return fmt(ps, "ps");
}

std::string format_size(double b) {
  if (b >= 1073741824.0) return fmt(b / 1073741824.0, "GiB");
  if (b >= 1048576.0) return fmt(b / 1048576.0, "MiB");
  if (b >= 1024.0) return fmt(b / 1024.0, "KiB");
  return fmt(b, "B");
}

std::string format_bandwidth(double bps) {
  if (bps >= 1e12) return fmt(bps / 1e12, "TB/s");
  if (bps >= 1e9) return fmt(bps / 1e9, "GB/s");
  if (bps >= 1e6) return fmt(bps / 1e6, "MB/s");
  return fmt(bps, "B/s");
}

std::string format_number(double v, int digits) {
  std::ostringstream os;
  os << std::setprecision(digits) << v;
  return os.str();
}

}  // namespace sim
