#pragma once
// The metrics each model produces, declared once: name, kind, unit and a one-line doc.
// `hetsim list metrics` prints them and the README's metric tables are generated from them;
// a test checks that every figure a run writes matches a declaration. A name may hold
// `{placeholders}` (`link.{link}.util`, `{instance}.wakeup_latency`) that stand for any
// text, dots included. A time average declares NAME and yields NAME.mean and
// NAME.max; a histogram declares NAME and yields hist.NAME.{count,mean,max,p50,p90,p99,p999}.
#include <string>
#include <vector>

namespace sim {

struct MetricDecl {
  enum class Kind { Counter, Average, Histogram, Derived };
  std::string name;
  Kind kind;
  std::string unit;  // "count", "ns", "us", "ms", "ps", "s", "bytes", "GB/s", "ratio", "1/s" ...
  std::string doc;
};

struct MetricGroup {
  std::string owner;  // "kind/key" of the component that produces them ("balance/push")
  std::vector<MetricDecl> metrics;
};

class MetricCatalog {
 public:
  static MetricCatalog& get();
  bool add(MetricGroup g);
  // Sorted by owner.
  std::vector<const MetricGroup*> all() const;
  // The declaration a produced figure name matches (an exact name first, else the pattern
  // with the most literal text), or nullptr.
  const MetricDecl* match(const std::string& figure) const;
  // The names a declaration yields (NAME for counters and derived figures, NAME.mean and
  // NAME.max for averages, hist.NAME.STAT for histograms).
  static std::vector<std::string> figures(const MetricDecl& d);
  static const char* kind_label(MetricDecl::Kind k);

 private:
  std::vector<MetricGroup> groups_;
};

// Declares a group at static initialisation: HETSIM_METRICS("balance/push", {{...}, ...});
#define HETSIM_METRICS(owner, ...)                                                   \
  [[maybe_unused]] static const bool HETSIM_METRICS_CAT(hetsim_metrics_, __COUNTER__) = \
      ::sim::MetricCatalog::get().add(::sim::MetricGroup{owner, __VA_ARGS__})
#define HETSIM_METRICS_CAT_INNER(a, b) a##b
#define HETSIM_METRICS_CAT(a, b) HETSIM_METRICS_CAT_INNER(a, b)

}  // namespace sim
