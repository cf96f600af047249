#include "models/memory/node_memory.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>

#include "sim/error.h"

namespace models {

NodeMemory& NodeMemory::of(sim::RunContext& ctx) {
  if (auto* m = ctx.find<NodeMemory>()) return *m;
  return *ctx.keep(std::make_unique<NodeMemory>(ctx, Machine::of(ctx)));
}

NodeMemory::NodeMemory(sim::RunContext& ctx, const Machine& pf) : ctx_(ctx) {
  double total = 0;
  for (const MemNode& n : pf.nodes()) {
    capacity_.push_back(n.capacity);
    used_.push_back(0);
    wake_mark_.push_back(0);
    total += static_cast<double>(n.capacity);
  }
  // min_free_kbytes (init_per_zone_wmark_min) and the per-node watermark steps.
  const double min_free =
      std::clamp(std::floor(std::sqrt(total / 1024 * 16)), 128.0, 262144.0) * 1024;
  for (const MemNode& n : pf.nodes()) {
    const double cap = static_cast<double>(n.capacity);
    const double mn = std::floor(min_free * cap / total);
    min_.push_back(static_cast<std::uint64_t>(mn));
    step_.push_back(static_cast<std::uint64_t>(std::max(mn / 4, std::floor(cap * 10 / 10000))));
  }
  // Zonelists: a node's own first, then by latency from a CPU of its socket.
  for (const MemNode& n : pf.nodes()) {
    int cpu = 0;
    for (const Cpu& c : pf.cpus())
      if (c.socket == n.socket) {
        cpu = c.id;
        break;
      }
    std::vector<int> order(pf.nodes().size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
      if ((a == n.id) != (b == n.id)) return a == n.id;
      return pf.access_latency(cpu, a) < pf.access_latency(cpu, b);
    });
    zonelist_.push_back(std::move(order));
  }
  ctx.provide<NodeMemory>(this);
  ctx.at_finish([this, &ctx, &pf] {
    auto& st = ctx.sim().stats();
    for (const MemNode& n : pf.nodes()) {
      st.set_metric("memory." + n.name + ".used_bytes", static_cast<double>(used(n.id)));
      if (!report_wmarks_) continue;
      st.set_metric("memory." + n.name + ".wmark_low_bytes",
                    static_cast<double>(wmark(n.id, Wmark::Low)));
      st.set_metric("memory." + n.name + ".wmark_high_bytes",
                    static_cast<double>(wmark(n.id, Wmark::High)));
      st.set_metric("memory." + n.name + ".wmark_promo_bytes",
                    static_cast<double>(wmark(n.id, Wmark::Promo)));
    }
  });
}

bool NodeMemory::reserve(int node, std::uint64_t bytes) {
  auto i = static_cast<std::size_t>(node);
  if (bytes > capacity_[i] - used_[i]) return false;
  used_[i] += bytes;
  check_low(node);
  return true;
}

std::uint64_t NodeMemory::wmark(int node, Wmark w) const {
  const auto i = static_cast<std::size_t>(node);
  return min_[i] + static_cast<std::uint64_t>(w) * step_[i];
}

int NodeMemory::reserve_fallback(int preferred, std::uint64_t bytes) {
  for (Wmark w : {Wmark::Low, Wmark::Min})
    for (int node : zonelist(preferred)) {
      const auto i = static_cast<std::size_t>(node);
      if (capacity_[i] - used_[i] < bytes || capacity_[i] - used_[i] - bytes < wmark(node, w))
        continue;
      used_[i] += bytes;
      if (node != preferred) {
        if (!fallback_ctr_) {
          fallback_ctr_ = &ctx_.sim().stats().counter("memory.fallbacks");
          fallback_bytes_ = &ctx_.sim().stats().counter("memory.fallback_bytes");
        }
        ++fallbacks_;
        fallback_ctr_->add(1);
        fallback_bytes_->add(static_cast<double>(bytes));
      }
      check_low(node);
      return node;
    }
  return -1;
}

void NodeMemory::release(int node, std::uint64_t bytes) {
  auto i = static_cast<std::size_t>(node);
  HETSIM_CHECK(bytes <= used_[i], "releasing more memory than a node holds");
  used_[i] -= bytes;
}

}  // namespace models
