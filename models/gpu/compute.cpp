#include "models/gpu/compute.h"

#include <algorithm>
#include <memory>

#include "sim/error.h"

namespace models {

GpuCompute& GpuCompute::of(sim::RunContext& ctx) {
  if (auto* c = ctx.find<GpuCompute>()) return *c;
  return *ctx.keep(std::make_unique<GpuCompute>(ctx, Machine::of(ctx), Gpus::of(ctx)));
}

GpuCompute::GpuCompute(sim::RunContext& ctx, Machine& m, Gpus& gpus)
    : ctx_(ctx), m_(m), gpus_(gpus), streams_(static_cast<std::size_t>(gpus.count())) {
  auto& st = ctx.sim().stats();
  kernels_ = &st.counter("gpu.kernels");
  busy_ps_ = &st.counter("gpu.kernel_busy_ps");
  launch_cpu_ps_ = &st.counter("gpu.launch_cpu_ps");
  ctx.provide<GpuCompute>(this);
}

namespace {

// Seconds of `k` on `s` with the tensor peak scaled by `eff`.
double gpu_kernel_seconds(const GpuSpec& s, double hbm_bw, const KernelWork& k, double eff) {
  const double compute = k.flops > 0 && s.peak_flops > 0 ? k.flops / (s.peak_flops * eff) : 0.0;
  const double memory = k.bytes > 0 && hbm_bw > 0 ? k.bytes / hbm_bw : 0.0;
  return std::max(compute, memory);
}

}  // namespace

Tick GpuCompute::roofline(int g, const KernelWork& k) const {
  const GpuSpec& s = gpus_.spec(g);
  const double hbm = m_.nodes()[static_cast<std::size_t>(s.hbm)].bandwidth;
  return sim::transfer_time(gpu_kernel_seconds(s, hbm, k, 1.0), 1.0);  // rounded up
}

Tick GpuCompute::duration(int g, const KernelWork& k) const {
  if (k.duration > 0) return k.duration;
  const GpuSpec& s = gpus_.spec(g);
  const double eff = k.efficiency > 0 ? k.efficiency : s.compute_efficiency;
  HETSIM_CHECK(eff > 0 && eff <= 1, "kernel efficiency outside (0, 1]");
  const double hbm = m_.nodes()[static_cast<std::size_t>(s.hbm)].bandwidth;
  return sim::transfer_time(gpu_kernel_seconds(s, hbm, k, eff), 1.0);
}

void GpuCompute::launch(int g, int cpu, const KernelWork& k, std::function<void()> done) {
  HETSIM_CHECK(g >= 0 && g < gpus_.count(), "kernel on an unknown GPU");
  const GpuSpec& s = gpus_.spec(g);
  const Tick run = duration(g, k);
  kernels_->add(1);
  launch_cpu_ps_->add(static_cast<double>(s.launch_cost));
  // The driver writes the launch into the stream's push buffer on the caller's CPU; the GPU's
  // front end picks it up launch_latency later.
  m_.exec().kernel(cpu, s.launch_cost, [this, g, run, done = std::move(done)]() mutable {
    ctx_.sim().call_after(gpus_.spec(g).launch_latency,
                          [this, g, run, done = std::move(done)]() mutable {
                            Stream& st = streams_[static_cast<std::size_t>(g)];
                            st.ready.push_back(Queued{run, std::move(done)});
                            if (!st.busy) run_next(g);
                          });
  });
}

void GpuCompute::run_next(int g) {
  Stream& st = streams_[static_cast<std::size_t>(g)];
  if (st.ready.empty()) {
    st.busy = false;
    return;
  }
  st.busy = true;
  Queued q = std::move(st.ready.front());
  st.ready.pop_front();
  busy_ps_->add(static_cast<double>(q.run));
  ctx_.sim().call_after(q.run, [this, g, done = std::move(q.done)] {
    if (done) done();
    run_next(g);
  });
}

}  // namespace models
