#include "models/tlb/shootdown.h"

#include <algorithm>
#include <memory>

namespace models {

const sim::ParamList& TlbShootdown::params() {
  static const sim::ParamList p = {
      sim::p_time("invlpg_cost", "100ns", "one single-page invalidation (INVLPG)"),
      sim::p_time("full_flush_cost", "2us", "full TLB flush including the refill it causes (est.)"),
      sim::p_int("flush_ceiling", 33, "tlb_single_page_flush_ceiling: above it, flush everything", 1, 1 << 20),
      sim::p_time("ipi_send_cost", "50ns", "initiator's cost per IPI target (est.)"),
  };
  return p;
}

TlbShootdown& TlbShootdown::of(sim::RunContext& ctx) {
  if (auto* s = ctx.find<TlbShootdown>()) return *s;
  return *ctx.keep(std::make_unique<TlbShootdown>(ctx, ctx.system_as<Platform>()));
}

TlbShootdown::TlbShootdown(sim::RunContext& ctx, Platform& pf) : ctx_(ctx), pf_(pf) {
  sim::Params p = sim::Params::parse(pf.section("tlb"), params(), pf.where().child("tlb"), {});
  cost_ = {p.time("invlpg_cost"), p.time("full_flush_cost"), static_cast<std::uint64_t>(p.i("flush_ceiling")),
           p.time("ipi_send_cost")};
  auto& st = ctx.sim().stats();
  shootdowns_ = &st.counter("tlb.shootdowns");
  ipis_ = &st.counter("tlb.ipis_sent");
  target_stall_ns_ = &st.counter("tlb.target_stall_ns");
  latency_ = &st.histogram("tlb.shootdown_latency", "us", static_cast<double>(sim::kUs));
  ctx.provide<TlbShootdown>(this);
}

Tick TlbShootdown::local_cost(std::uint64_t pages) const {
  return pages > cost_.ceiling ? cost_.full_flush : pages * cost_.invlpg;
}

void TlbShootdown::flush(const FlushRequest& req, std::function<void()> done) {
  sim::Simulator& sim = ctx_.sim();
  const Tick start = sim.now();
  const Tick local = local_cost(req.pages);
  shootdowns_->add();

  std::vector<int> targets;
  for (int c : req.cpumask)
    if (c != req.initiator) targets.push_back(c);
  // Local flush, then one APIC write per target; the initiator then spins for the acks.
  Tick sent = start + local + cost_.ipi_send * targets.size();
  struct Wait {
    std::size_t left;
    Tick start;
    std::function<void()> done;
  };
  auto wait = std::make_shared<Wait>(Wait{targets.size(), start, std::move(done)});
  auto finish = [this, wait, &sim] {
    latency_->record(sim.now() - wait->start);
    if (wait->done) wait->done();
  };
  if (targets.empty()) {
    sim.call_at(start + local, finish);
    return;
  }
  const Tick handler = pf_.cpu_spec().ipi_handler + local;
  for (int t : targets) {
    ipis_->add();
    const Tick ack = pf_.c2c_latency(t, req.initiator);
    sim.call_at(sent + pf_.cpu_spec().ipi_latency, [this, t, handler, ack, wait, finish, &sim] {
      target_stall_ns_->add(sim::to_ns(handler));
      pf_.exec().irq(t, handler, [ack, wait, finish, &sim] {
        sim.call_after(ack, [wait, finish] {
          if (--wait->left == 0) finish();
        });
      });
    });
  }
}

// Listed by `hetsim list` beside the machine's other sections.
[[maybe_unused]] static const bool kListed = [] {
  sim::Catalog::get().add({"machine.tlb", "platform", "the \"tlb\" object of a machine file", TlbShootdown::params()});
  return true;
}();

}  // namespace models
