#pragma once
// Collectives over the machine graph, as NCCL runs them: a ring AllReduce of S bytes on N
// ranks is 2(N-1) steps (N-1 of reduce-scatter, N-1 of all-gather); in each step every rank
// sends S/N bytes to the next rank of the ring along the graph's route between the two GPUs,
// all N transfers sharing the links they cross, and the step ends when the last one has
// arrived plus a per-step software cost (the NCCL kernel's work per hop). Each GPU sends
// 2(N-1)/N x S bytes in all.
#include <functional>
#include <vector>

#include "models/machine/machine.h"

namespace models {

struct CollectiveStats {
  double bytes_per_rank = 0;  // bytes each rank sent
  Tick time = 0;              // from the start to the last step's end
};

// Runs a ring AllReduce of `bytes` over `ranks` (graph vertices, in ring order); `done`
// receives what it did.
void ring_allreduce(sim::Simulator& sim, Machine& m, std::vector<VertexId> ranks, double bytes,
                    Tick hop_cost, std::function<void(const CollectiveStats&)> done);

}  // namespace models
