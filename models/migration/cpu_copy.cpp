#include "models/migration/cpu_copy.h"

#include <cstdint>
#include <memory>

#include "sim/slot_pool.h"
#include "sim/stable_vector.h"

namespace models {

namespace {

struct CpuCopyRun {
  Machine* pf = nullptr;
  CpuCopyRequest req;
  sim::FlowNetwork::Spec spec;  // the flow, until the copy first gets its CPU
  sim::FlowId flow = 0;
  bool started = false, flow_done = false, cpu_done = false;
  std::uint32_t slot = 0;
  std::uint32_t gen = 0;  // bumped when the copy is over: a later flow end is not its own
  std::function<void()> done;
};

// The run's copies in progress and finished ones kept for reuse (their path storage too), so
// that a copy allocates nothing once as many have run at once as ever will: the callbacks
// name a copy by pointer (and generation), small enough to be stored inside std::function.
class CpuCopyRuns {
 public:
  static CpuCopyRuns& of(Machine& pf) {
    sim::RunContext& ctx = pf.context();
    if (auto* r = ctx.find<CpuCopyRuns>()) return *r;
    auto* r = ctx.keep(std::make_unique<CpuCopyRuns>());
    ctx.provide<CpuCopyRuns>(r);
    return *r;
  }
  // A copy's state stays where it is while the pool grows: callbacks hold it by pointer.
  CpuCopyRun& take() {
    const std::uint32_t slot = pool_.take();
    pool_[slot].slot = slot;
    return pool_[slot];
  }
  void give_back(CpuCopyRun& r) {
    ++r.gen;
    pool_.give_back(r.slot);
  }

 private:
  sim::SlotPool<CpuCopyRun, sim::StableVector<CpuCopyRun>> pool_;
};

// The core runs the copy: the flow moves bytes only while the worker is on its CPU.
void cpu_copy_on_cpu(CpuCopyRun& s, bool on) {
  sim::FlowNetwork& fl = s.pf->flows();
  if (on && !s.started) {
    s.started = true;
    if (s.req.bytes > 0)
      s.flow = fl.start(std::move(s.spec));
    else
      s.flow_done = true;
  } else if (on) {
    if (!s.flow_done) fl.resume(s.flow);
  } else if (!s.cpu_done && !s.flow_done) {
    fl.pause(s.flow);
  }
}

// At the end of a burst: the core stays on the copy for as long as the remaining bytes need at
// the flow's current rate (stalled on memory, not free). The copy is over when the core has
// issued its last store: stores are posted, so it does not wait for the write latency the flow
// model adds after the last byte.
Tick cpu_copy_more(CpuCopyRun& s) {
  sim::FlowNetwork& fl = s.pf->flows();
  const double rem = s.flow_done ? 0.0 : fl.remaining(s.flow);
  const double rate = fl.rate(s.flow);
  if (rem > 1.0 && rate > 0) {
    const Tick w = sim::transfer_time(rem, rate);
    if (s.req.cpu_ps) s.req.cpu_ps->add(static_cast<double>(w));
    return w;
  }
  s.cpu_done = true;
  return 0;
}

}  // namespace

void cpu_copy(Machine& pf, const CpuCopyRequest& req, std::function<void()> done) {
  CpuCopyRuns& runs = CpuCopyRuns::of(pf);
  CpuCopyRun* s = &runs.take();
  s->pf = &pf;
  s->req = req;
  s->flow = 0;
  s->started = s->flow_done = s->cpu_done = false;
  s->done = std::move(done);
  const double rate = req.rate > 0 ? req.rate : pf.cpu_spec().memcpy_rate;
  const double t = req.bytes / rate + sim::to_seconds(req.overhead);
  const double cap = t > 0 ? req.bytes / t : rate;
  s->spec.path = pf.cpu_copy_path(req.cpu, req.src, req.dst);
  s->spec.bytes = req.bytes;
  s->spec.rate_cap = cap;
  s->spec.weight = 1;
  // The flow may end after the copy (the path's write latency): it then finds the copy over.
  const std::uint32_t gen = s->gen;
  s->spec.on_done = [s, gen] {
    if (s->gen == gen) s->flow_done = true;
  };
  CpuExec::Stream item;
  item.work = req.bytes > 0 ? sim::transfer_time(req.bytes, cap) : req.overhead;
  if (req.cpu_ps) req.cpu_ps->add(static_cast<double>(item.work));
  item.on_cpu = [s](bool on) { cpu_copy_on_cpu(*s, on); };
  item.more = [s] { return cpu_copy_more(*s); };
  item.done = [s, &runs] {
    std::function<void()> d = std::move(s->done);
    s->done = nullptr;
    runs.give_back(*s);  // nothing of the copy is touched after this
    if (d) d();
  };
  pf.exec().kernel_stream(req.cpu, std::move(item));
}

}  // namespace models
