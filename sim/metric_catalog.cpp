#include "sim/metric_catalog.h"

#include <algorithm>

#include "sim/error.h"

namespace sim {

namespace {

// Whether `s` matches `pattern`, where each {placeholder} stands for any text.
bool glob(const std::string& pattern, std::size_t pi, const std::string& s, std::size_t si) {
  while (pi < pattern.size()) {
    if (pattern[pi] == '{') {
      const std::size_t close = pattern.find('}', pi);
      const std::size_t next = close == std::string::npos ? pattern.size() : close + 1;
      for (std::size_t end = si; end <= s.size(); ++end)
        if (glob(pattern, next, s, end)) return true;
      return false;
    }
    if (si >= s.size() || pattern[pi] != s[si]) return false;
    ++pi;
    ++si;
  }
  return si == s.size();
}

}  // namespace

MetricCatalog& MetricCatalog::get() {
  static MetricCatalog c;
  return c;
}

bool MetricCatalog::add(MetricGroup g) {
  for (const auto& have : groups_)
    HETSIM_CHECK(have.owner != g.owner, "metrics of '" + g.owner + "' declared twice");
  groups_.push_back(std::move(g));
  return true;
}

std::vector<const MetricGroup*> MetricCatalog::all() const {
  std::vector<const MetricGroup*> out;
  for (const auto& g : groups_) out.push_back(&g);
  std::sort(out.begin(), out.end(),
            [](const MetricGroup* a, const MetricGroup* b) { return a->owner < b->owner; });
  return out;
}

std::vector<std::string> MetricCatalog::figures(const MetricDecl& d) {
  switch (d.kind) {
    case MetricDecl::Kind::Average:
      return {d.name + ".mean", d.name + ".max"};
    case MetricDecl::Kind::Histogram: {
      std::vector<std::string> out;
      for (const char* s : {"count", "mean", "max", "p50", "p90", "p99", "p999"})
        out.push_back("hist." + d.name + "." + s);
      return out;
    }
    default:
      return {d.name};
  }
}

const char* MetricCatalog::kind_label(MetricDecl::Kind k) {
  switch (k) {
    case MetricDecl::Kind::Counter:
      return "counter";
    case MetricDecl::Kind::Average:
      return "time average";
    case MetricDecl::Kind::Histogram:
      return "histogram";
    case MetricDecl::Kind::Derived:
      return "derived";
  }
  return "";
}

const MetricDecl* MetricCatalog::match(const std::string& figure) const {
  // An exact name wins; among patterns, the one with the most literal text.
  const MetricDecl* best = nullptr;
  std::size_t best_literal = 0;
  for (const auto& g : groups_)
    for (const auto& d : g.metrics)
      for (const std::string& f : figures(d)) {
        if (f == figure) return &d;
        if (f.find('{') == std::string::npos || !glob(f, 0, figure, 0)) continue;
        std::size_t literal = 0;
        bool in = false;
        for (char ch : f) {
          if (ch == '{') in = true;
          if (!in) ++literal;
          if (ch == '}') in = false;
        }
        if (!best || literal > best_literal) {
          best = &d;
          best_literal = literal;
        }
      }
  return best;
}

}  // namespace sim
