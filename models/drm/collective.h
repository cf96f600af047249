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
// - nvls AllReduce (NVLink SHARP), where every rank links to one NVSwitch that reduces: each
//   rank sends S to the switch and receives the reduced S from it, both directions streaming
//   at once (the switch's multimem reduce and multicast);
// - ring AllGather and ReduceScatter: N-1 steps of S/N to the next rank;
// - AllToAll: one step in which every rank sends S/N to every other rank.
// A protocol's efficiency (payload share of the bytes on the wire: NCCL's LL carries a 4-byte
// flag with every 4 bytes of data, LL128 8 bytes in 128) scales the bytes the links carry.
//
// Hierarchical AllReduce over a cluster (cluster.h) of M machines with G ranks each: a
// ReduceScatter inside the machine (ring over NVLink, or nvls), an AllReduce of the S/G shard
// between the same rank of every machine over the NICs (ring: 2(M-1) steps of S/(GM); tree:
// the double binary tree's per-node load, S/G out and in, up then down, a hop per level), then
// an AllGather inside the machine.
#include <functional>
#include <string>
#include <vector>

#include "models/machine/machine.h"

namespace models {

struct Cluster;

enum class CollectiveOp { AllReduce, AllGather, ReduceScatter, AllToAll };
enum class CollectiveAlgo { Ring, Tree, Nvls };

struct CollectiveStats {
  double bytes_per_rank = 0;      // payload bytes the busiest rank sent
  double nic_bytes_per_rank = 0;  // of which to other machines
  Tick time = 0;                  // from the start to the last step's end
  Tick intra_time = 0;            // time some step inside the machine was under way
  Tick inter_time = 0;            // time some step between machines was under way
};

// nccl-tests' bus-bandwidth factor: busbw = S / t x factor.
double busbw_factor(CollectiveOp op, int ranks);

// Protocol efficiency: payload over bytes on the wire.
double protocol_efficiency(const std::string& protocol);

// The NVSwitch with in-switch reduction that every rank links to directly, or nullopt.
std::optional<VertexId> reducing_switch(const Machine& m, const std::vector<VertexId>& ranks);

// Runs one collective of `bytes` over `ranks` (graph vertices, in ring order). Nvls needs
// reducing_switch(ranks) and AllReduce.
void run_collective(sim::Simulator& sim, Machine& m, CollectiveOp op, CollectiveAlgo algo,
                    std::vector<VertexId> ranks, double bytes, Tick hop_cost,
                    std::function<void(const CollectiveStats&)> done, double efficiency = 1.0);

inline void ring_allreduce(sim::Simulator& sim, Machine& m, std::vector<VertexId> ranks,
                           double bytes, Tick hop_cost,
                           std::function<void(const CollectiveStats&)> done) {
  run_collective(sim, m, CollectiveOp::AllReduce, CollectiveAlgo::Ring, std::move(ranks), bytes,
                 hop_cost, std::move(done));
}

// Hierarchical AllReduce of `bytes` over `ranks` of this machine and their peers on the
// cluster's other machines. `intra`: Ring or Nvls; `inter`: Ring or Tree. `part` runs only
// the machine's phases (ReduceScatter + AllGather) or only the inter-machine AllReduce. The
// buffer is cut into `chunks` that pipeline through the steps of all three phases (a step
// takes chunk k once it has finished chunk k-1 and the step before it has finished chunk k),
// so steps and phases overlap; intra_time and inter_time are the times during which some step
// inside, or between, machines was under way.
// `gate`, when set, stands for the ranks' NCCL proxy threads: every send to another machine
// is handed to gate(rank, go), which calls go() when that rank's proxy has posted it.
enum class HierPart { All, Intra, Inter };
using ProxyGate = std::function<void(int rank, std::function<void()> go)>;
void run_hierarchical(sim::Simulator& sim, Machine& m, const Cluster& cluster, CollectiveAlgo intra,
                      CollectiveAlgo inter, std::vector<VertexId> ranks, double bytes,
                      Tick hop_cost, double efficiency,
                      std::function<void(const CollectiveStats&)> done,
                      HierPart part = HierPart::All, int chunks = 1, ProxyGate gate = nullptr);

}  // namespace models
