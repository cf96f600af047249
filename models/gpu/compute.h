#pragma once
// A GPU's compute engine. A kernel's duration is given, or is its roofline time: the larger of
// its FLOPs against the device's tensor peak times the share of it kernels achieve
// (`compute_efficiency`) and its bytes against the HBM node's sustained bandwidth. Launching
// costs the calling CPU the driver's `launch_cost` (kernel time through CpuExec); the kernel
// reaches the GPU `launch_latency` later and runs after the kernels launched before it on that
// GPU (one in-order stream per GPU: kernels of one GPU never overlap).
#include <deque>
#include <functional>
#include <vector>

#include "models/gpu/gpu.h"

namespace models {

struct KernelWork {
  double flops = 0;       // floating-point operations (dense fp16 tensor work)
  double bytes = 0;       // bytes read and written in HBM
  Tick duration = 0;      // given duration; 0: from flops and bytes
  double efficiency = 0;  // share of the tensor peak reached; 0: the GPU's compute_efficiency
};

class GpuCompute {
 public:
  static GpuCompute& of(sim::RunContext& ctx);
  GpuCompute(sim::RunContext& ctx, Machine& m, Gpus& gpus);

  // The physical bound of `k` on GPU `g`: max(flops / peak, bytes / HBM bandwidth), no
  // efficiency applied. No kernel runs faster.
  Tick roofline(int g, const KernelWork& k) const;
  // The time `k` runs on GPU `g`: its given duration, else max(flops / (peak x efficiency),
  // bytes / HBM bandwidth).
  Tick duration(int g, const KernelWork& k) const;
  // Launches `k` on GPU `g` from `cpu`; `done` runs when the kernel has finished on the GPU.
  void launch(int g, int cpu, const KernelWork& k, std::function<void()> done);

  Tick launch_cost(int g) const { return gpus_.spec(g).launch_cost; }
  Tick launch_latency(int g) const { return gpus_.spec(g).launch_latency; }

 private:
  struct Queued {
    Tick run;
    std::function<void()> done;
  };
  struct Stream {
    std::deque<Queued> ready;
    bool busy = false;
  };
  void run_next(int g);

  sim::RunContext& ctx_;
  Machine& m_;
  Gpus& gpus_;
  std::vector<Stream> streams_;
  sim::Counter* kernels_;
  sim::Counter* busy_ps_;
  sim::Counter* launch_cpu_ps_;
};

}  // namespace models
