#pragma once
// Collectives over the machine graph, as NCCL runs them: a collective is a sequence of steps,
// each a set of transfers between ranks along the graph's routes, all of one step sharing
// the links they cross; a step ends when its last transfer has arrived, plus a per-step
// software cost (the NCCL kernel's work per hop). With S the buffer size and N ranks:
// - ring AllReduce: 2(N-1) steps in which every rank sends S/N to the next rank (reduce-scatter
//   then all-gather): each rank sends 2(N-1)/N x S;
// - tree AllReduce (double binary tree): two trees each carry half the buffer, up (children
//   to parents, reducing) then down (parents to children); a step's transfers stream through
//   the tree, and each level adds a hop's software cost;
// - ring AllGather and ReduceScatter: N-1 steps of S/N to the next rank;
// - AllToAll: one step in which every rank sends S/N to every other rank.
#include <functional>
#include <string>
#include <vector>

#include "models/machine/machine.h"

namespace models {

enum class CollectiveOp { AllReduce, AllGather, ReduceScatter, AllToAll };
enum class CollectiveAlgo { Ring, Tree };

struct CollectiveStats {
  double bytes_per_rank = 0;  // bytes the busiest rank sent
  Tick time = 0;              // from the start to the last step's end
};

// nccl-tests' bus-bandwidth factor: busbw = S / t x factor.
double busbw_factor(CollectiveOp op, int ranks);

// Runs one collective of `bytes` over `ranks` (graph vertices, in ring order).
void run_collective(sim::Simulator& sim, Machine& m, CollectiveOp op, CollectiveAlgo algo,
                    std::vector<VertexId> ranks, double bytes, Tick hop_cost,
                    std::function<void(const CollectiveStats&)> done);

inline void ring_allreduce(sim::Simulator& sim, Machine& m, std::vector<VertexId> ranks,
                           double bytes, Tick hop_cost,
                           std::function<void(const CollectiveStats&)> done) {
  run_collective(sim, m, CollectiveOp::AllReduce, CollectiveAlgo::Ring, std::move(ranks), bytes,
                 hop_cost, std::move(done));
}

}  // namespace models
