#pragma once
// Loaded latency of memory accesses: how fast threads with a fixed number of misses in flight
// progress when their accesses spread over memory nodes whose media and links queue.
//
// A thread keeps `mlp` line misses in flight; by Little's law it completes mlp / L accesses
// per second, L its mean load-to-use latency. An access to node n from thread t costs the
// route's unloaded latency (media, links: MachineGraph::route_latency) plus a queueing delay
// on every link of the read route (the media included):
//   Q(u) = queue_delay * u / (1 - u),  u = the link's carried bytes / its capacity,
// an M/M/1-shaped curve whose scale `queue_delay` is an estimate (no component figure gives
// a loaded-latency curve per node). Reads cross the read route; a write's write-back crosses
// the write route, weighted by the node's write cost (CXL media write slower than they read).
// As u -> 1 the delay grows without bound, so no link ever carries more than its capacity:
// a bandwidth-bound application settles just under the tightest link on its routes.
//
// Every access also pays its address translation: a fixed part, plus the page walks' reads
// of leaf entries on the node that holds the page tables (loading its route like any read).
//
// The solve: the total access rate X is the unique root of X = sum_t mlp / L_t(X), where the
// link loads follow from X with the threads' traffic split in proportion to their unloaded
// rates (exact when the threads see the same routes; an estimate when some are remote).
// The left side grows with X, the right side falls: bisection finds it.
#include <cstddef>
#include <vector>

namespace models {

struct TierRoute {
  double base_ns = 0;      // unloaded load-to-use latency of this (thread, node)
  std::vector<int> read;   // servers (indices into TierLoad::capacity) a read crosses
  std::vector<int> write;  // servers a write-back crosses
};

struct TierLoad {
  std::vector<double> capacity;               // bytes/s per server (a link of the flow model)
  double queue_delay_ns = 0;                  // Q(u) scale
  double mlp = 1;                             // misses in flight per thread
  std::vector<double> share;                  // per node: fraction of accesses it serves
  std::vector<double> read_bytes;             // per node: bytes read per access (64, RFO incl.)
  std::vector<double> write_bytes;            // per node: write-back bytes per access (weighted)
  std::vector<std::vector<TierRoute>> route;  // [thread][node]
  // Address translation (tlb_reach.h), the same for every thread: per access, the fixed part
  // (second-level hits, page walks with their page-walk-cache hits) and the walks' leaf-entry
  // reads that go to `pt_node` (each one line, at that node's loaded latency).
  double xlate_ns = 0;
  double walk_mem = 0;
  int pt_node = -1;
};

struct TierLoadResult {
  std::vector<double> rate;                  // per thread: accesses/s
  std::vector<double> latency_ns;            // per thread: mean load-to-use latency
  std::vector<std::vector<double>> node_ns;  // [thread][node] loaded latency of the data
  std::vector<double> xlate_ns;              // per thread: translation part of each access
  std::vector<double> util;                  // per server: carried / capacity
  double total_rate = 0;                     // accesses/s, all threads
};

// Queueing delay of a server at utilisation u (0 <= u < 1).
double queue_delay(double queue_delay_ns, double u);

TierLoadResult solve_tier_load(const TierLoad& in);

}  // namespace models
