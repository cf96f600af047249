#include "models/memory/node_memory.h"

#include <memory>

#include "sim/error.h"

namespace models {

NodeMemory& NodeMemory::of(sim::RunContext& ctx) {
  if (auto* m = ctx.find<NodeMemory>()) return *m;
  return *ctx.keep(std::make_unique<NodeMemory>(ctx, Machine::of(ctx)));
}

NodeMemory::NodeMemory(sim::RunContext& ctx, const Machine& pf) {
  for (const MemNode& n : pf.nodes()) {
    capacity_.push_back(n.capacity);
    used_.push_back(0);
  }
  ctx.provide<NodeMemory>(this);
  ctx.at_finish([this, &ctx, &pf] {
    for (const MemNode& n : pf.nodes())
      ctx.sim().stats().set_metric("memory." + n.name + ".used_bytes",
                                   static_cast<double>(used(n.id)));
  });
}

bool NodeMemory::reserve(int node, std::uint64_t bytes) {
  auto i = static_cast<std::size_t>(node);
  if (bytes > capacity_[i] - used_[i]) return false;
  used_[i] += bytes;
  return true;
}

void NodeMemory::release(int node, std::uint64_t bytes) {
  auto i = static_cast<std::size_t>(node);
  HETSIM_CHECK(bytes <= used_[i], "releasing more memory than a node holds");
  used_[i] -= bytes;
}

}  // namespace models
