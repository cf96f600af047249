#pragma once
// GPUs on the machine graph. The machine file's "gpus" list makes each GPU a device vertex on
// a PCIe link to an IO die or a PCIe switch, with its HBM as a memory node contained in it;
// "nvswitches" adds switch vertices and "gpu_links" NVLink / XGMI links between GPUs or from a
// GPU to an NVSwitch. Routes between GPUs come from the graph: over NVLink where a link or a
// switch joins them, through a PCIe switch both sit under, else through the root complex.
//
// At run time each GPU has copy engines: a copy costs the submitting CPU the driver's work,
// then the engine's set-up, then moves as one flow over the route from source to destination
// through the GPU, at most at the engine's rate. Engines of one GPU run in parallel; one engine
// runs its copies one after another.
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/machine/machine.h"
#include "sim/run_context.h"
#include "sim/stats.h"

namespace models {

struct GpuSpec {
  std::string name;
  VertexId vertex;
  int hbm;   // memory node index (an APU's: the node it shares with the CPUs)
  bool apu;  // CPU and GPU share `hbm`: host memory needs no copy to reach the GPU
  int copy_engines;
  double ce_bw;               // one engine's own rate cap
  Tick ce_setup;              // engine time from doorbell to first byte
  Tick submit_cost;           // driver CPU time to build and submit one copy
  double peak_flops;          // dense fp16 tensor peak
  double compute_efficiency;  // share of peak_flops kernels reach
  Tick launch_cost;           // driver CPU time of one kernel launch
  Tick launch_latency;        // from the launch's end on the CPU to the GPU seeing it
  double link_bw;             // its PCIe link per direction
};
const sim::ParamList& gpu_params();
std::vector<GpuSpec> gpu_specs(const Machine& m);

class Gpus {
 public:
  static Gpus& of(sim::RunContext& ctx);
  Gpus(sim::RunContext& ctx, Machine& m);

  int count() const { return static_cast<int>(gpus_.size()); }
  const GpuSpec& spec(int g) const { return gpus_[static_cast<std::size_t>(g)].spec; }
  // The GPU named `name`, or a bad-input error at `where` listing the machine's GPUs.
  int by_name(const std::string& name, const sim::Where& where) const;
  // The GPU whose HBM is memory node `node`, or -1.
  int owning(int node) const;

  // Copies `bytes` from memory node `src` to `dst` with copy engine `ce` of GPU `g`, submitted
  // by `cpu` (driver CPU time); `done` runs when the last byte has landed.
  void ce_copy(int g, int ce, int cpu, int src, int dst, double bytes, std::function<void()> done);

  sim::Counter& staging_cpu_ps() { return *staging_cpu_ps_; }

 private:
  struct Job {
    int src, dst;
    double bytes;
    std::function<void()> done;
  };
  struct Engine {
    std::deque<Job> jobs;
    bool running = false;
  };
  struct Gpu {
    GpuSpec spec;
    std::vector<Engine> engines;
  };
  void run_next(int g, int ce);

  sim::RunContext& ctx_;
  Machine& m_;
  std::vector<Gpu> gpus_;
  sim::Counter* copies_;
  sim::Counter* bytes_;
  sim::Counter* driver_cpu_ps_;
  sim::Counter* staging_cpu_ps_;
};

// A host <-> device copy of pageable memory as the driver does it: the CPU `cpu` copies each
// chunk between the pageable buffer on `host` and one of `buffers` pinned staging buffers on
// `staging` (a kernel-time memcpy on that CPU), and a copy engine moves the staging buffer to
// or from the GPU; the CPU fills the next buffer while the engine drains the previous one.
struct PageableCopy {
  int gpu = 0, ce = 0, cpu = 0;
  int host = 0, staging = 0;  // memory nodes
  bool to_device = true;
  double bytes = 0;
  double chunk = 2.0 * 1024 * 1024;
  int buffers = 2;
  // The pageable buffer was never touched: the CPU's first access to each of its `page`-sized
  // pages faults, `fault` of kernel time each on the copying CPU before that chunk's memcpy
  // (a destination page is also zeroed, at the core's copy rate). 0: already faulted in.
  Tick fault = 0;
  double page = 4096;
};
void pageable_copy(Gpus& gpus, Machine& m, const PageableCopy& c, std::function<void()> done);

}  // namespace models
