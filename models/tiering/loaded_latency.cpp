#include "models/tiering/loaded_latency.h"

#include <algorithm>
#include <limits>

#include "sim/error.h"

namespace models {

double queue_delay(double queue_delay_ns, double u) {
  if (u <= 0) return 0;
  if (u >= 1) return std::numeric_limits<double>::infinity();
  return queue_delay_ns * u / (1 - u);
}

namespace {

// Bytes each server carries per access of the whole application, with the threads' traffic
// split by `weight` (summing to 1).
std::vector<double> bytes_per_access(const TierLoad& in, const std::vector<double>& weight) {
  std::vector<double> b(in.capacity.size(), 0.0);
  for (std::size_t t = 0; t < in.route.size(); ++t)
    for (std::size_t n = 0; n < in.share.size(); ++n) {
      const double p = weight[t] * in.share[n];
      if (p <= 0) continue;
      for (int s : in.route[t][n].read) b[static_cast<std::size_t>(s)] += p * in.read_bytes[n];
      for (int s : in.route[t][n].write) b[static_cast<std::size_t>(s)] += p * in.write_bytes[n];
    }
  if (in.walk_mem > 0 && in.pt_node >= 0) {
    const auto pt = static_cast<std::size_t>(in.pt_node);
    for (std::size_t t = 0; t < in.route.size(); ++t)
      for (int s : in.route[t][pt].read)
        b[static_cast<std::size_t>(s)] += weight[t] * in.walk_mem * in.read_bytes[pt];
  }
  return b;
}

// Loaded latency of one line read by thread t from node n at link utilisations `u`.
double tier_line_latency(const TierLoad& in, const std::vector<double>& u, std::size_t t,
                         std::size_t n) {
  double l = in.route[t][n].base_ns;
  for (int s : in.route[t][n].read)
    l += queue_delay(in.queue_delay_ns, u[static_cast<std::size_t>(s)]);
  return l;
}

// Per thread mean loaded latency at link utilisations `u`, translation included; fills
// node_ns and xlate.
std::vector<double> latencies(const TierLoad& in, const std::vector<double>& u,
                              std::vector<std::vector<double>>* node_ns,
                              std::vector<double>* xlate = nullptr) {
  std::vector<double> lat(in.route.size(), 0.0);
  if (node_ns) node_ns->assign(in.route.size(), std::vector<double>(in.share.size(), 0.0));
  if (xlate) xlate->assign(in.route.size(), 0.0);
  for (std::size_t t = 0; t < in.route.size(); ++t) {
    double x = in.xlate_ns;
    if (in.walk_mem > 0 && in.pt_node >= 0)
      x += in.walk_mem * tier_line_latency(in, u, t, static_cast<std::size_t>(in.pt_node));
    if (xlate) (*xlate)[t] = x;
    for (std::size_t n = 0; n < in.share.size(); ++n) {
      if (in.share[n] <= 0 && !node_ns) continue;
      const double l = in.route[t][n].base_ns > 0 ? tier_line_latency(in, u, t, n) : 0;
      if (node_ns) (*node_ns)[t][n] = l;
      lat[t] += in.share[n] * (l + x);
    }
  }
  return lat;
}

}  // namespace

TierLoadResult solve_tier_load(const TierLoad& in) {
  const std::size_t threads = in.route.size();
  TierLoadResult r;
  if (threads == 0) return r;
  // Traffic split: the threads' unloaded rates.
  std::vector<double> zero(in.capacity.size(), 0.0);
  std::vector<double> w = latencies(in, zero, nullptr);
  double sum = 0;
  for (double& l : w) {
    if (!(l > 0)) throw sim::InternalError("tiering: an access with no latency");
    l = in.mlp / l;
    sum += l;
  }
  for (double& x : w) x /= sum;
  const std::vector<double> per = bytes_per_access(in, w);
  double x_max = std::numeric_limits<double>::infinity();
  for (std::size_t s = 0; s < per.size(); ++s)
    if (per[s] > 0) x_max = std::min(x_max, in.capacity[s] * 1e-9 / per[s]);
  auto util = [&](double x) {  // x: accesses per ns
    std::vector<double> u(per.size());
    for (std::size_t s = 0; s < per.size(); ++s) u[s] = x * per[s] / (in.capacity[s] * 1e-9);
    return u;
  };
  auto demand = [&](double x) {  // what the threads would issue at the latencies load x causes
    double d = 0;
    for (double l : latencies(in, util(x), nullptr)) d += in.mlp / l;
    return d;
  };
  // Rates in accesses per ns; never above the unloaded rate.
  double lo = 0, hi = std::min(x_max, sum);
  if (demand(hi) >= hi) {
    lo = hi;  // no link binds before the unloaded rate: no root below it
  } else {
    for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; ++i) {
      const double mid = 0.5 * (lo + hi);
      (demand(mid) > mid ? lo : hi) = mid;
    }
  }
  r.util = util(lo);
  r.latency_ns = latencies(in, r.util, &r.node_ns, &r.xlate_ns);
  r.rate.resize(threads);
  double issued = 0;
  for (std::size_t t = 0; t < threads; ++t) issued += in.mlp / r.latency_ns[t];
  // At a root of a continuous curve the threads issue exactly lo; with no queueing delay
  // (queue_delay 0) the curve jumps at u = 1 and the links cap what they would issue.
  const double scale = issued > lo && issued > 0 ? lo / issued : 1.0;
  for (std::size_t t = 0; t < threads; ++t) {
    r.rate[t] = scale * in.mlp / r.latency_ns[t] * 1e9;
    r.total_rate += r.rate[t];
  }
  return r;
}

}  // namespace models
