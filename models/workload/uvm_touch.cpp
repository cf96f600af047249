// `uvm_touch`: a GPU kernel whose warps touch an array that starts in host memory, through
// unified memory (models/uvm/uvm.h): fault-driven migration, an explicit prefetch of the whole
// array before the kernel (cudaMemPrefetchAsync), or, for comparison, an explicit copy (pinned
// or pageable) into device memory (cudaMemcpy) and a kernel that never faults. The warps make
// one access every `stride` bytes: `sequential` hands consecutive accesses to consecutive warps (a
// grid-stride loop), `strided` gives each warp its own contiguous slice of the array, `random`
// draws each access's offset uniformly. A warp whose access faults stalls until the driver
// replays it; a resident access costs the GPU memory's load-to-use latency plus `touch_cost`.
// With `cpu_passes`, one thread on `cpu` then sweeps the array: its accesses to pages on the
// GPU fault and migrate them back (HMM's migrate_to_ram); an access costs the CPU's load-to-use
// latency to the array's home (as latency, not as scheduled CPU time; the faults are kernel
// time on that CPU).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "models/gpu/gpu.h"
#include "models/machine/machine.h"
#include "models/uvm/uvm.h"
#include "sim/rng.h"
#include "sim/run_context.h"

namespace models {

class UvmTouchWorkload : public sim::Workload {
 public:
  static constexpr const char* kDoc =
      "A GPU kernel touching an array that starts in host memory, every `stride` bytes "
      "(sequential, strided per warp, or random), through unified memory: fault-driven "
      "migration, an explicit prefetch first, or an explicit pinned copy for comparison.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_string("gpu", "gpu0", "the GPU running the kernel"),
        sim::p_string("home", "",
                      "memory node the array starts on (empty: the first DDR node of the GPU's "
                      "socket; on an APU the memory it shares)"),
        sim::p_size("bytes", "1GiB", "array size"),
        sim::p_size("stride", "64KiB", "bytes between consecutive accesses"),
        sim::p_choice("pattern", "sequential", {"sequential", "strided", "random"},
                      "sequential: grid-stride over warps; strided: a contiguous slice per warp; "
                      "random: uniform offsets"),
        sim::p_int("passes", 1, "times the kernel sweeps the array", 1, 1000),
        sim::p_int("warps", 512,
                   "warps with an access in flight at once (each stalls on its fault; est.)", 1,
                   1 << 20),
        sim::p_choice("policy", "fault", {"fault", "prefetch", "copy", "copy_pageable"},
                      "fault: migrate on faults; prefetch: migrate the whole array before the "
                      "kernel; copy: explicit pinned copy into device memory, no managed memory; "
                      "copy_pageable: the same from pageable memory (staged by the calling CPU)"),
        sim::p_int("cpu", 0, "the calling CPU: prefetch call, copy submission"),
        sim::p_int("host_cpus", 8,
                   "CPUs of the home node's socket that initialised the array (they may cache "
                   "its translations: the CPU-side unmap interrupts them)",
                   0, 1 << 20),
        sim::p_time("touch_cost", "0ns", "GPU time per access beyond the memory latency"),
        sim::p_int("cpu_passes", 0,
                   "after the kernel, sequential sweeps of the array by one thread on `cpu` "
                   "(CPU faults migrate GPU-resident pages back; with policy copy, an explicit "
                   "copy back first)",
                   0, 1000),
    };
    return p;
  }

  UvmTouchWorkload(sim::RunContext& ctx, const sim::Params& p)
      : ctx_(ctx),
        name_(ctx.instance("uvm_touch")),
        m_(Machine::of(ctx)),
        gpus_(Gpus::of(ctx)),
        rng_(ctx.sim().seed(), name_) {
    gpu_ = gpus_.by_name(p.s("gpu"), p.where("gpu"));
    const GpuSpec& g = gpus_.spec(gpu_);
    const int socket = std::max(0, m_.graph().node(g.vertex).socket);
    if (p.s("home").empty()) {
      home_ = g.hbm;
      if (!g.apu)
        for (const MemNode& n : m_.nodes())
          if (n.kind == MemKind::Ddr && n.socket == socket) {
            home_ = n.id;
            break;
          }
    } else {
      home_ = m_.node_by_name(p.s("home"), p.where("home"));
    }
    if (!g.apu && gpus_.owning(home_) >= 0)
      p.where("home").fail("a host memory node (the array starts outside any GPU)",
                           "\"" + m_.nodes()[static_cast<std::size_t>(home_)].name + "\"");
    if (g.apu && home_ != g.hbm)
      p.where("home").fail(
          "the memory the APU shares (" + m_.nodes()[static_cast<std::size_t>(g.hbm)].name + ")",
          "\"" + p.s("home") + "\"");
    bytes_ = p.size("bytes");
    stride_ = p.size("stride");
    if (bytes_ == 0) p.where("bytes").fail("a positive size", "0");
    if (stride_ == 0 || stride_ > bytes_)
      p.where("stride").fail("a positive size at most `bytes`", std::to_string(stride_));
    pattern_ = p.s("pattern");
    passes_ = static_cast<int>(p.i("passes"));
    cpu_passes_ = static_cast<int>(p.i("cpu_passes"));
    warps_ = static_cast<int>(p.i("warps"));
    policy_ = p.s("policy");
    cpu_ = p.index("cpu", static_cast<std::uint64_t>(m_.cpu_count()), "CPU");
    touch_ = m_.nodes()[static_cast<std::size_t>(g.hbm)].latency + p.time("touch_cost");
    cpu_touch_ = m_.access_latency(cpu_, home_);
    copy_ = policy_ == "copy" || policy_ == "copy_pageable";
    if (copy_ && g.apu)
      p.where("policy").fail("fault or prefetch on an APU (CPU and GPU share its memory)",
                             "\"" + policy_ + "\"");
    const auto capacity = m_.nodes()[static_cast<std::size_t>(g.hbm)].capacity;
    if (copy_ && bytes_ > capacity)
      p.where("bytes").fail(
          "at most the GPU's HBM (" + std::to_string(capacity) + " bytes) for an explicit copy",
          std::to_string(bytes_));
    accesses_ = (bytes_ + stride_ - 1) / stride_;
    // Pageable copies stage through pinned buffers on the calling CPU's local memory.
    staging_ = home_;
    for (const MemNode& n : m_.nodes())
      if (n.kind == MemKind::Ddr && n.socket == m_.cpus()[static_cast<std::size_t>(cpu_)].socket) {
        staging_ = n.id;
        break;
      }
    if (!copy_) {
      uvm_ = &Uvm::of(ctx);
      std::vector<int> cpus;
      const int hs = std::max(0, m_.nodes()[static_cast<std::size_t>(home_)].socket);
      const auto want = static_cast<std::size_t>(p.i("host_cpus"));
      for (int c = 0; c < m_.cpu_count() && cpus.size() < want; ++c)
        if (m_.cpus()[static_cast<std::size_t>(c)].socket == hs) cpus.push_back(c);
      range_ = uvm_->add_range(gpu_, home_, bytes_, std::move(cpus));
      budget_ = static_cast<double>(uvm_->budget_pages(gpu_) * uvm_->config().page);
    } else {
      budget_ = static_cast<double>(capacity);
    }
  }

  void start() override {
    ctx_.hold();
    auto launch = [this] {
      setup_done_ = ctx_.sim().now();
      launch_kernel();
    };
    if (copy_)
      explicit_copy(true, launch);
    else if (policy_ == "prefetch")
      uvm_->prefetch(range_, cpu_, launch);
    else
      launch();
  }

  void finish() override {
    auto& st = ctx_.sim().stats();
    const double total = static_cast<double>(bytes_) * passes_;
    st.set_metric(name_ + ".time_us", sim::to_us(done_at_));
    st.set_metric(name_ + ".setup_us", sim::to_us(setup_done_));
    st.set_metric(name_ + ".kernel_us", done_at_ ? sim::to_us(done_at_ - setup_done_) : 0.0);
    st.set_metric(name_ + ".accesses", static_cast<double>(done_accesses_));
    st.set_metric(name_ + ".cpu_us", cpu_done_ ? sim::to_us(cpu_done_ - done_at_) : 0.0);
    st.set_metric(name_ + ".effective_gbps",
                  done_at_ ? total / sim::to_seconds(done_at_) / 1e9 : 0.0);
    st.set_metric(name_ + ".oversubscription", static_cast<double>(bytes_) / budget_);
    st.set_metric(name_ + ".driver_cpu_us",
                  uvm_ ? st.counter("uvm.driver_cpu_ps").value() / 1e6 : 0.0);
  }

 private:
  struct Warp {
    std::uint64_t next = 0, end = 0;  // access indices of this pass
    int pass = 0;
  };

  void launch_kernel() {
    warps_left_ = warps_;
    warp_.assign(static_cast<std::size_t>(warps_), Warp{});
    for (int w = 0; w < warps_; ++w) {
      begin_pass(w);
      step(w);
    }
  }

  void begin_pass(int w) {
    Warp& k = warp_[static_cast<std::size_t>(w)];
    const auto W = static_cast<std::uint64_t>(warps_), i = static_cast<std::uint64_t>(w);
    if (pattern_ == "strided") {
      k.next = accesses_ * i / W;
      k.end = accesses_ * (i + 1) / W;
    } else {  // sequential and random: the warp takes every W-th access
      k.next = i;
      k.end = accesses_;
    }
  }

  std::uint64_t offset(std::uint64_t index) {
    if (pattern_ == "random") return rng_.below(accesses_) * stride_;
    return index * stride_;
  }

  void step(int w) {
    Warp& k = warp_[static_cast<std::size_t>(w)];
    if (k.next >= k.end) {
      if (++k.pass < passes_) {
        begin_pass(w);
        step(w);
        return;
      }
      if (--warps_left_ == 0) {
        done_at_ = ctx_.sim().now();
        after_kernel();
      }
      return;
    }
    if (pending_.size() <= static_cast<std::size_t>(w)) pending_.resize(warp_.size(), kNone);
    std::uint64_t& off = pending_[static_cast<std::size_t>(w)];
    if (off == kNone) off = offset(k.next);  // a replayed access retries the same offset
    if (uvm_ && !uvm_->touch(range_, off, [this, w] { step(w); })) return;
    off = kNone;
    ++done_accesses_;
    k.next += pattern_ == "strided" ? 1 : static_cast<std::uint64_t>(warps_);
    ctx_.sim().call_after(touch_, [this, w] { step(w); });
  }

  // The CPU passes: the explicit-copy variant copies the array back first.
  void after_kernel() {
    if (cpu_passes_ == 0) {
      ctx_.release();
      return;
    }
    cpu_next_ = 0;
    if (copy_)
      explicit_copy(false, [this] { cpu_step(); });
    else
      cpu_step();
  }

  // cudaMemcpy of the whole array between its home and the GPU, pinned or pageable.
  void explicit_copy(bool to_device, std::function<void()> done) {
    const int hbm = gpus_.spec(gpu_).hbm;
    if (policy_ == "copy") {
      gpus_.ce_copy(gpu_, 0, cpu_, to_device ? home_ : hbm, to_device ? hbm : home_,
                    static_cast<double>(bytes_), std::move(done));
      return;
    }
    PageableCopy c;
    c.gpu = gpu_;
    c.cpu = cpu_;
    c.host = home_;
    c.staging = staging_;
    c.to_device = to_device;
    c.bytes = static_cast<double>(bytes_);
    pageable_copy(gpus_, m_, c, std::move(done));
  }

  void cpu_step() {
    const std::uint64_t total = accesses_ * static_cast<std::uint64_t>(cpu_passes_);
    if (cpu_next_ == total) {
      cpu_done_ = ctx_.sim().now();
      ctx_.release();
      return;
    }
    const std::uint64_t off = (cpu_next_ % accesses_) * stride_;
    if (uvm_ && !uvm_->cpu_touch(range_, cpu_, off, [this] { cpu_step(); })) return;
    ++cpu_next_;
    ctx_.sim().call_after(cpu_touch_, [this] { cpu_step(); });
  }

  static constexpr std::uint64_t kNone = ~std::uint64_t{0};
  sim::RunContext& ctx_;
  const std::string name_;
  Machine& m_;
  Gpus& gpus_;
  sim::Rng rng_;
  Uvm* uvm_ = nullptr;
  bool copy_ = false;
  int staging_ = 0;
  int gpu_ = 0, home_ = 0, range_ = -1, passes_ = 1, warps_ = 1, cpu_ = 0, warps_left_ = 0,
      cpu_passes_ = 0;
  std::uint64_t cpu_next_ = 0;
  Tick cpu_touch_ = 0;
  sim::Tick cpu_done_ = 0;
  std::uint64_t bytes_ = 0, stride_ = 0, accesses_ = 0, done_accesses_ = 0;
  double budget_ = 0;
  std::string pattern_, policy_;
  Tick touch_ = 0;
  std::vector<Warp> warp_;
  std::vector<std::uint64_t> pending_;
  sim::Tick setup_done_ = 0, done_at_ = 0;
};

HETSIM_REGISTER(sim::Workload, UvmTouchWorkload, "uvm_touch");

}  // namespace models
