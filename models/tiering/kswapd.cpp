#include "models/tiering/kswapd.h"

#include <algorithm>
#include <memory>

#include "models/cpu/cpu_exec.h"
#include "models/migration/migrator.h"
#include "models/tiering/tiering_policy.h"

namespace models {

Kswapd& Kswapd::of(sim::RunContext& ctx) {
  if (auto* k = ctx.find<Kswapd>()) return *k;
  return *ctx.keep(std::make_unique<Kswapd>(ctx));
}

Kswapd::Kswapd(sim::RunContext& ctx) : ctx_(ctx), pf_(Machine::of(ctx)), mem_(NodeMemory::of(ctx)) {
  const auto& nodes = pf_.nodes();
  st_.resize(nodes.size());
  balanced_free_.assign(nodes.size(), 0);
  for (const MemNode& n : nodes) {
    // Only a top-tier node has a lower tier to demote to (next_demotion_node).
    const int t = is_toptier(n) ? demotion_target(pf_, n.id) : -1;
    target_.push_back(t);
    std::vector<int> fb;
    if (t >= 0)
      for (const MemNode& o : nodes)
        if (!is_toptier(o) && o.id != t) fb.push_back(o.id);
    fallback_.push_back(std::move(fb));
    for (const Cpu& c : pf_.cpus())
      if (c.socket == n.socket) st_[static_cast<std::size_t>(n.id)].cpu = c.id;
  }
  // The migration mechanism is built with the run, not at the first demotion.
  Migrator::of(ctx);
  mem_.report_wmarks();
  // An allocation's wakeup: balanced at the high watermark (order 0; an allocation here is a
  // whole mapping, not one folio).
  mem_.set_low_hook([this](int node) { wake(node, 0); });
  ctx.provide<Kswapd>(this);
  ctx.at_finish([this] { write_metrics(); });
}

void Kswapd::wake(int node, std::uint64_t bytes) {
  Node& s = st_[static_cast<std::size_t>(node)];
  if (balanced(node, bytes)) return;
  s.order_bytes = std::max(s.order_bytes, bytes);
  if (s.running) return;
  ++s.wakeups;
  if (target(node) < 0) {  // the lowest tier: nothing to demote to, and no swap
    ++s.failures;
    s.order_bytes = 0;
    return;
  }
  s.running = true;
  // The thread runs after the waker's own work (it is woken, not called).
  ctx_.sim().call_after(0, [this, node] { pass(node); });
}

bool Kswapd::balanced(int node, std::uint64_t bytes) const {
  // pgdat_balanced: the promo watermark in memory-tiering mode, else high; with TPP's marks,
  // also its target free memory.
  const auto mark = mem_.tiering_mode() ? NodeMemory::Wmark::Promo : NodeMemory::Wmark::High;
  return !mem_.below(node, mark, bytes) &&
         mem_.free_bytes(node) >= balanced_free_[static_cast<std::size_t>(node)] + bytes;
}

void Kswapd::set_demote_marks(double wake_free, double target_free) {
  for (const MemNode& n : pf_.nodes()) {
    if (target_[static_cast<std::size_t>(n.id)] < 0) continue;  // nothing to demote to
    const double cap = static_cast<double>(mem_.capacity(n.id));
    mem_.set_wake_mark(n.id, static_cast<std::uint64_t>(wake_free * cap));
    balanced_free_[static_cast<std::size_t>(n.id)] = static_cast<std::uint64_t>(target_free * cap);
    if (mem_.under_wake_mark(n.id)) wake(n.id, 0);
  }
}

void Kswapd::sleep(int node, bool failed) {
  Node& s = st_[static_cast<std::size_t>(node)];
  s.running = false;
  s.order_bytes = 0;
  if (failed) ++s.failures;
}

void Kswapd::pass(int node) {
  Node& s = st_[static_cast<std::size_t>(node)];
  if (balanced(node, s.order_bytes)) {
    sleep(node, false);
    return;
  }
  ++s.passes;
  // The node's LRU: its folios of every address space, least recently used first (ties in
  // list order). A pass takes from its head only: the head is sorted, the rest only if the
  // batch is not full by then.
  MmRegistry& reg = MmRegistry::of(ctx_);
  Cold lru;
  struct Age {
    Tick last;
    std::size_t pos;  // in lru
  };
  std::vector<Age> order;
  for (int m = 0; m < reg.count(); ++m) {
    Mm& mm = reg.get(m);
    for (std::size_t i = 0; i < mm.size(); ++i)
      if (mm.folio(i).node == node && !mm.in_flight(i)) {
        order.push_back({mm.folio(i).access.last, lru.size()});
        lru.emplace_back(&mm, i);
      }
  }
  const auto older = [](const Age& a, const Age& b) {
    return a.last != b.last ? a.last < b.last : a.pos < b.pos;
  };
  auto sorted_to = order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), kHead));
  std::partial_sort(order.begin(), sorted_to, order.end(), older);
  Cold cold;
  std::uint64_t pages = 0, examined = 0;
  for (auto it = order.begin(); it != order.end() && pages < kBatchPages; ++it) {
    if (it == sorted_to) {
      std::sort(sorted_to, order.end(), older);
      sorted_to = order.end();
    }
    auto [mm, i] = lru[it->pos];
    ++examined;
    if (mm->test_and_clear_accessed(i)) continue;  // referenced: rotated, a second chance
    cold.emplace_back(mm, i);
    mm->set_in_flight(i, true);  // isolated
    pages += mm->folio(i).pages;
  }
  if (examined == 0) {  // nothing on the node that reclaim could take
    sleep(node, true);
    return;
  }
  const Tick cost = kLruScanCost * examined;
  s.scanned += examined;
  s.cpu_time += cost;
  pf_.exec().kernel(s.cpu, cost, [this, node, cold = std::move(cold)]() mutable {
    if (cold.empty()) {  // all referenced this time round: their bits are clear now
      pass(node);
      return;
    }
    demote(node, std::move(cold), 0, 0);
  });
}

void Kswapd::demote(int node, Cold cold, std::size_t k, std::size_t moved) {
  if (k >= cold.size()) {
    Mm* last = nullptr;  // tell each process once (the batch is in LRU order, not by mm)
    for (const auto& [mm, i] : cold)
      if (mm != last) {
        mm->placement_changed();
        last = mm;
      }
    if (moved == 0) {  // every target full
      sleep(node, true);
      return;
    }
    pass(node);
    return;
  }
  auto [mm, i] = cold[k];
  MigrationJob job;
  job.reason = MigrationReason::Demote;
  job.as = mm;
  job.first = i;
  job.count = 1;
  job.dst = target(node);
  job.fallback = fallback_[static_cast<std::size_t>(node)];
  job.cpu = st_[static_cast<std::size_t>(node)].cpu;
  Migrator::of(ctx_).submit(job, [this, node, cold = std::move(cold), k, moved]() mutable {
    auto [m, f] = cold[k];
    m->set_in_flight(f, false);
    Node& s = st_[static_cast<std::size_t>(node)];
    if (m->folio(f).node != node) {
      ++moved;
      ++s.demoted;
      s.demoted_bytes += m->folio(f).bytes();
      for (const DemotedFn& l : listeners_) l(*m, f, node);
    }
    demote(node, std::move(cold), k + 1, moved);
  });
}

void Kswapd::write_metrics() {
  auto& st = ctx_.sim().stats();
  Node all;
  for (const Node& s : st_) {
    all.wakeups += s.wakeups;
    all.passes += s.passes;
    all.scanned += s.scanned;
    all.demoted += s.demoted;
    all.demoted_bytes += s.demoted_bytes;
    all.failures += s.failures;
    all.cpu_time += s.cpu_time;
  }
  st.set_metric("memory.kswapd.wakeups", static_cast<double>(all.wakeups));
  st.set_metric("memory.kswapd.passes", static_cast<double>(all.passes));
  st.set_metric("memory.kswapd.scanned", static_cast<double>(all.scanned));
  st.set_metric("memory.kswapd.demoted", static_cast<double>(all.demoted));
  st.set_metric("memory.kswapd.demoted_bytes", static_cast<double>(all.demoted_bytes));
  st.set_metric("memory.kswapd.failures", static_cast<double>(all.failures));
  st.set_metric("memory.kswapd.cpu_us", sim::to_us(all.cpu_time));
  for (const MemNode& n : pf_.nodes()) {
    const Node& s = st_[static_cast<std::size_t>(n.id)];
    if (s.wakeups == 0) continue;
    st.set_metric("memory." + n.name + ".kswapd_cpu_us", sim::to_us(s.cpu_time));
    st.set_metric("memory." + n.name + ".kswapd_demoted", static_cast<double>(s.demoted));
    st.set_metric("memory." + n.name + ".kswapd_cpu_kernel_us",
                  sim::to_us(pf_.exec().busy(s.cpu, CpuExec::Kind::Kernel)));
  }
}

}  // namespace models
