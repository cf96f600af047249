#include "sim/cpulist.h"

#include <algorithm>

namespace sim {

namespace {
std::string range_text(std::uint64_t count) {
  return count == 0 ? std::string("no CPU (the machine has none)")
                    : "0-" + std::to_string(count - 1);
}
}  // namespace

std::vector<int> parse_cpulist(const std::string& text, std::uint64_t count, const Where& where) {
  auto bad = [&](const std::string& why) {
    where.fail("a cpulist such as \"0-7,64-71\" within " + range_text(count),
               "\"" + (text.size() > 60 ? text.substr(0, 57) + "..." : text) + "\" (" + why + ")");
  };
  std::vector<char> seen;
  std::size_t i = 0;
  // Reads one decimal number; anything beyond `count` is out of range however many digits it
  // has, so the value never needs more than 64 bits.
  auto number = [&]() -> std::uint64_t {
    std::size_t j = i;
    std::uint64_t v = 0;
    bool over = false;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9') {
      const std::uint64_t d = static_cast<std::uint64_t>(text[j] - '0');
      if (v > (UINT64_MAX - d) / 10)
        over = true;
      else
        v = v * 10 + d;
      ++j;
    }
    if (j == i) bad("expected a CPU number at offset " + std::to_string(i));
    std::string digits = text.substr(i, j - i);
    i = j;
    if (over || v >= count)
      bad("CPU " + digits + " is beyond the machine's " + std::to_string(count) + " CPUs");
    return v;
  };
  while (i < text.size()) {
    const std::uint64_t a = number();
    std::uint64_t b = a;
    if (i < text.size() && text[i] == '-') {
      ++i;
      b = number();
      if (b < a) bad("range " + std::to_string(a) + "-" + std::to_string(b) + " runs backwards");
    }
    if (seen.size() < count) seen.resize(static_cast<std::size_t>(count), 0);
    for (std::uint64_t c = a; c <= b; ++c) seen[static_cast<std::size_t>(c)] = 1;
    if (i < text.size()) {
      if (text[i] != ',') bad("expected ',' or '-' at offset " + std::to_string(i));
      ++i;
      if (i == text.size()) bad("a trailing ','");
    }
  }
  std::vector<int> out;
  for (std::size_t c = 0; c < seen.size(); ++c)
    if (seen[c]) out.push_back(static_cast<int>(c));
  return out;
}

std::string format_cpulist(const std::vector<int>& cpus) {
  std::string out;
  for (std::size_t i = 0; i < cpus.size();) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    out += (out.empty() ? "" : ",") + std::to_string(cpus[i]);
    if (j > i) out += "-" + std::to_string(cpus[j]);
    i = j + 1;
  }
  return out;
}

int checked_index(std::int64_t value, std::uint64_t count, const std::string& what,
                  const Where& where) {
  if (value < 0 || static_cast<std::uint64_t>(value) >= count)
    where.fail(count == 0 ? "a " + what + " index, but the machine has none"
                          : "a " + what + " index in 0-" + std::to_string(count - 1),
               std::to_string(value));
  return static_cast<int>(value);
}

}  // namespace sim
