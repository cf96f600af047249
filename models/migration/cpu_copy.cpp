#include "models/migration/cpu_copy.h"

#include <memory>

namespace models {

namespace {

struct CpuCopyRun {
  Machine* pf = nullptr;
  CpuCopyRequest req;
  sim::FlowNetwork::Spec spec;  // the flow, until the copy first gets its CPU
  sim::FlowId flow = 0;
  bool started = false, flow_done = false, cpu_done = false;
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
  auto s = std::make_shared<CpuCopyRun>();
  s->pf = &pf;
  s->req = req;
  const double rate = req.rate > 0 ? req.rate : pf.cpu_spec().memcpy_rate;
  const double t = req.bytes / rate + sim::to_seconds(req.overhead);
  const double cap = t > 0 ? req.bytes / t : rate;
  s->spec.path = pf.cpu_copy_path(req.cpu, req.src, req.dst);
  s->spec.bytes = req.bytes;
  s->spec.rate_cap = cap;
  std::weak_ptr<CpuCopyRun> w = s;
  s->spec.on_done = [w] {
    if (auto p = w.lock()) p->flow_done = true;
  };
  CpuExec::Stream item;
  item.work = req.bytes > 0 ? sim::transfer_time(req.bytes, cap) : req.overhead;
  if (req.cpu_ps) req.cpu_ps->add(static_cast<double>(item.work));
  item.on_cpu = [s](bool on) { cpu_copy_on_cpu(*s, on); };
  item.more = [s] { return cpu_copy_more(*s); };
  item.done = std::move(done);
  pf.exec().kernel_stream(req.cpu, std::move(item));
}

}  // namespace models
