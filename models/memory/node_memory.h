#pragma once
// Capacity accounting of the machine's memory nodes. Every folio placed on a node holds its
// bytes there; a placement that does not fit is refused (the kernel's -ENOMEM), so a
// migration towards a full node leaves the folio where it was.
#include <cstdint>
#include <vector>

#include "models/machine/machine.h"
#include "sim/run_context.h"

namespace models {

class NodeMemory {
 public:
  // The run's node accounting, created on first use.
  static NodeMemory& of(sim::RunContext& ctx);
  NodeMemory(sim::RunContext& ctx, const Machine& pf);

  std::uint64_t capacity(int node) const { return capacity_[static_cast<std::size_t>(node)]; }
  std::uint64_t used(int node) const { return used_[static_cast<std::size_t>(node)]; }
  std::uint64_t free_bytes(int node) const { return capacity(node) - used(node); }
  // Takes `bytes` on `node`; false (and nothing taken) when they do not fit.
  bool reserve(int node, std::uint64_t bytes);
  void release(int node, std::uint64_t bytes);

 private:
  std::vector<std::uint64_t> capacity_, used_;
};

}  // namespace models
