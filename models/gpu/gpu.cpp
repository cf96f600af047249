#include "models/gpu/gpu.h"

#include <algorithm>
#include <cmath>
#include <deque>

#include "models/migration/cpu_copy.h"
#include "sim/error.h"

namespace models {

Gpus& Gpus::of(sim::RunContext& ctx) {
  if (auto* g = ctx.find<Gpus>()) return *g;
  return *ctx.keep(std::make_unique<Gpus>(ctx, Machine::of(ctx)));
}

Gpus::Gpus(sim::RunContext& ctx, Machine& m) : ctx_(ctx), m_(m) {
  for (const GpuSpec& s : gpu_specs(m)) {
    Gpu g;
    g.spec = s;
    g.engines.resize(static_cast<std::size_t>(s.copy_engines));
    gpus_.push_back(std::move(g));
  }
  auto& st = ctx.sim().stats();
  copies_ = &st.counter("gpu.ce_copies");
  bytes_ = &st.counter("gpu.ce_bytes");
  driver_cpu_ps_ = &st.counter("gpu.driver_cpu_ps");
  staging_cpu_ps_ = &st.counter("gpu.staging_cpu_ps");
  ctx.provide<Gpus>(this);
}

int Gpus::by_name(const std::string& name, const sim::Where& where) const {
  for (std::size_t i = 0; i < gpus_.size(); ++i)
    if (gpus_[i].spec.name == name) return static_cast<int>(i);
  std::string known;
  for (const Gpu& g : gpus_) known += (known.empty() ? "" : ", ") + g.spec.name;
  where.fail("a GPU of this machine (" + (known.empty() ? std::string("it has none") : known) + ")",
             "\"" + name + "\"");
}

int Gpus::owning(int node) const {
  for (std::size_t i = 0; i < gpus_.size(); ++i)
    if (gpus_[i].spec.hbm == node) return static_cast<int>(i);
  return -1;
}

void Gpus::ce_copy(int g, int ce, int cpu, int src, int dst, double bytes,
                   std::function<void()> done) {
  HETSIM_CHECK(g >= 0 && g < count(), "copy on an unknown GPU");
  Gpu& gpu = gpus_[static_cast<std::size_t>(g)];
  HETSIM_CHECK(ce >= 0 && ce < gpu.spec.copy_engines, "copy on an unknown copy engine");
  copies_->add(1);
  bytes_->add(bytes);
  driver_cpu_ps_->add(static_cast<double>(gpu.spec.submit_cost));
  // The driver builds the copy's methods and rings the engine's doorbell on the caller's CPU.
  m_.exec().kernel(
      cpu, gpu.spec.submit_cost, [this, g, ce, src, dst, bytes, done = std::move(done)]() mutable {
        Engine& e = gpus_[static_cast<std::size_t>(g)].engines[static_cast<std::size_t>(ce)];
        e.jobs.push_back(Job{src, dst, bytes, std::move(done)});
        if (!e.running) run_next(g, ce);
      });
}

void Gpus::run_next(int g, int ce) {
  Gpu& gpu = gpus_[static_cast<std::size_t>(g)];
  Engine& e = gpu.engines[static_cast<std::size_t>(ce)];
  if (e.jobs.empty()) {
    e.running = false;
    return;
  }
  e.running = true;
  Job job = std::move(e.jobs.front());
  e.jobs.pop_front();
  sim::FlowNetwork::Spec spec;
  spec.path = m_.copy_path(gpu.spec.vertex, job.src, job.dst);
  spec.bytes = job.bytes;
  spec.rate_cap = gpu.spec.ce_bw;
  spec.on_done = [this, g, ce, done = std::move(job.done)] {
    if (done) done();
    run_next(g, ce);
  };
  ctx_.sim().call_after(gpu.spec.ce_setup, [this, spec = std::move(spec)]() mutable {
    m_.flows().start(std::move(spec));
  });
}

namespace {

// The pipeline of one pageable copy: `copying` chunks are in the CPU's memcpy, `free`
// staging buffers are waiting for the CPU.
struct Pipeline {
  Gpus* gpus;
  Machine* m;
  PageableCopy c;
  std::int64_t chunks = 0, started = 0, finished = 0;
  int free = 0;
  bool cpu_busy = false;
  std::deque<double> to_copy_out;  // device to host: chunks in staging, waiting for the CPU
  std::function<void()> done;
};

double chunk_bytes(const Pipeline& p, std::int64_t k) {
  const double off = static_cast<double>(k) * p.c.chunk;
  return std::min(p.c.chunk, p.c.bytes - off);
}

// Fault work of the chunk's pages on the pageable side when it was never touched; a new
// destination page is zeroed as well.
Tick first_touch_work(const Pipeline& p, double bytes, bool zero) {
  if (p.c.fault == 0) return 0;
  const auto pages = static_cast<Tick>(std::ceil(bytes / p.c.page));
  const Tick zeroing = zero ? sim::transfer_time(p.c.page, p.m->cpu_spec().memcpy_rate) : 0;
  return pages * (p.c.fault + zeroing);
}

void step(const std::shared_ptr<Pipeline>& p);
void copy_out(const std::shared_ptr<Pipeline>& p);

void chunk_done(const std::shared_ptr<Pipeline>& p) {
  ++p->finished;
  ++p->free;
  if (p->finished == p->chunks) {
    auto d = std::move(p->done);
    if (d) d();
    return;
  }
  step(p);
}

// Host to device: the CPU copies chunk k into a free staging buffer, then the engine moves it.
// Device to host: the engine fills a free buffer, then the CPU copies it out; the next engine
// copy is queued as soon as a buffer is free.
void step(const std::shared_ptr<Pipeline>& p) {
  const PageableCopy& c = p->c;
  if (c.to_device) {
    if (p->cpu_busy || p->free == 0 || p->started == p->chunks) return;
    const double b = chunk_bytes(*p, p->started++);
    --p->free;
    p->cpu_busy = true;
    CpuCopyRequest r;
    r.cpu = c.cpu;
    r.src = c.host;
    r.dst = c.staging;
    r.bytes = b;
    r.overhead = first_touch_work(*p, b, false);
    r.cpu_ps = &p->gpus->staging_cpu_ps();
    cpu_copy(*p->m, r, [p, b] {
      p->cpu_busy = false;
      const PageableCopy& c = p->c;
      p->gpus->ce_copy(c.gpu, c.ce, c.cpu, c.staging, p->gpus->spec(c.gpu).hbm, b,
                       [p] { chunk_done(p); });
      step(p);
    });
    return;
  }
  while (p->free > 0 && p->started < p->chunks) {
    const double b = chunk_bytes(*p, p->started++);
    --p->free;
    p->gpus->ce_copy(c.gpu, c.ce, c.cpu, p->gpus->spec(c.gpu).hbm, c.staging, b, [p, b] {
      p->to_copy_out.push_back(b);
      copy_out(p);
    });
  }
}

// Device to host: the CPU copies staged chunks out one after another, in the order the engine
// finished them.
void copy_out(const std::shared_ptr<Pipeline>& p) {
  if (p->cpu_busy || p->to_copy_out.empty()) return;
  p->cpu_busy = true;
  CpuCopyRequest r;
  r.cpu = p->c.cpu;
  r.src = p->c.staging;
  r.dst = p->c.host;
  r.bytes = p->to_copy_out.front();
  r.overhead = first_touch_work(*p, r.bytes, true);
  p->to_copy_out.pop_front();
  r.cpu_ps = &p->gpus->staging_cpu_ps();
  cpu_copy(*p->m, r, [p] {
    p->cpu_busy = false;
    copy_out(p);
    chunk_done(p);
  });
}

}  // namespace

void pageable_copy(Gpus& gpus, Machine& m, const PageableCopy& c, std::function<void()> done) {
  HETSIM_CHECK(c.chunk > 0 && c.buffers >= 1, "pageable copy without staging buffers");
  auto p = std::make_shared<Pipeline>();
  p->gpus = &gpus;
  p->m = &m;
  p->c = c;
  p->chunks = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(c.bytes / c.chunk)));
  p->free = c.buffers;
  p->done = std::move(done);
  step(p);
}

}  // namespace models
