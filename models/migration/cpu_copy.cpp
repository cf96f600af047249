#include "models/migration/cpu_copy.h"

#include <memory>

namespace models {

namespace {

struct CopyState {
  Machine* pf;
  CpuCopyRequest req;
  sim::FlowId flow = 0;
  bool flow_done = false, cpu_done = false;
  std::function<void()> done;
};

// The copy is over when the core has issued its last store: stores are posted, so the
// core does not wait for the write latency the flow model adds after the last byte.
void finish(const std::shared_ptr<CopyState>& s) {
  if (s->cpu_done && s->done) {
    auto d = std::move(s->done);
    s->done = nullptr;
    d();
  }
}

// Keeps the core busy while the flow still has bytes to move; each slice lasts as long as the
// remaining bytes need at the flow's current rate.
void charge(const std::shared_ptr<CopyState>& s, Tick work) {
  if (s->req.cpu_ps) s->req.cpu_ps->add(static_cast<double>(work));
  s->pf->exec().kernel(s->req.cpu, work, [s] {
    sim::FlowNetwork& fl = s->pf->flows();
    double rem = s->flow_done ? 0.0 : fl.remaining(s->flow);
    double rate = fl.rate(s->flow);
    if (rem > 1.0 && rate > 0) {
      charge(s, sim::transfer_time(rem, rate));
      return;
    }
    s->cpu_done = true;
    finish(s);
  });
}

}  // namespace

void cpu_copy(Machine& pf, const CpuCopyRequest& req, std::function<void()> done) {
  auto s = std::make_shared<CopyState>();
  s->pf = &pf;
  s->req = req;
  s->done = std::move(done);
  const double rate = req.rate > 0 ? req.rate : pf.cpu_spec().memcpy_rate;
  const double t = req.bytes / rate + sim::to_seconds(req.overhead);
  const double cap = t > 0 ? req.bytes / t : rate;
  sim::FlowNetwork::Spec spec;
  spec.path = pf.cpu_copy_path(req.cpu, req.src, req.dst);
  spec.bytes = req.bytes;
  spec.rate_cap = cap;
  spec.on_done = [s] { s->flow_done = true; };
  s->flow = pf.flows().start(std::move(spec));
  charge(s, req.bytes > 0 ? sim::transfer_time(req.bytes, cap) : req.overhead);
}

}  // namespace models
