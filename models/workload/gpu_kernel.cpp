// `gpu_kernel`: a CPU thread launches `kernels` kernels on one GPU, back to back (launches
// queue on the GPU's stream while earlier kernels run) or each followed by a synchronisation
// (the thread waits for the kernel to finish before launching the next). Each kernel is given
// as a duration or as FLOPs and HBM bytes, timed by the GPU's compute engine (models/gpu/
// compute.h).
#include <algorithm>

#include "models/gpu/compute.h"
#include "models/machine/machine.h"
#include "sim/run_context.h"

namespace models {

class GpuKernelWorkload : public sim::Workload {
 public:
  static constexpr const char* kDoc =
      "Launches `kernels` kernels on a GPU from one CPU, back to back or synchronising after "
      "each; a kernel is a given `duration` or `flops` and HBM `bytes` timed on the roofline of "
      "the GPU's tensor peak and HBM bandwidth.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_string("gpu", "gpu0", "the GPU the kernels run on"),
        sim::p_int("cpu", 0, "the launching CPU"),
        sim::p_int("kernels", 1, "kernels launched", 1, 1e7),
        sim::p_double("flops", 0.0, "floating-point operations per kernel (dense fp16)", 0.0, 1e21),
        sim::p_size("bytes", "0B", "HBM bytes read and written per kernel"),
        sim::p_time("duration", "0ns",
                    "given duration per kernel; 0: from flops and bytes (not both)"),
        sim::p_double("efficiency", 0.0,
                      "share of the tensor peak the kernel reaches; 0: the GPU's "
                      "compute_efficiency",
                      0.0, 1.0),
        sim::p_bool("sync", false,
                    "wait for each kernel to finish before launching the next (launch + sync)"),
    };
    return p;
  }

  GpuKernelWorkload(sim::RunContext& ctx, const sim::Params& p)
      : ctx_(ctx),
        name_(ctx.instance("gpu_kernel")),
        m_(Machine::of(ctx)),
        compute_(GpuCompute::of(ctx)) {
    gpu_ = Gpus::of(ctx).by_name(p.s("gpu"), p.where("gpu"));
    cpu_ = p.index("cpu", static_cast<std::uint64_t>(m_.cpu_count()), "CPU");
    kernels_ = p.i("kernels");
    work_.flops = p.d("flops");
    work_.bytes = static_cast<double>(p.size("bytes"));
    work_.duration = p.time("duration");
    work_.efficiency = p.d("efficiency");
    sync_ = p.b("sync");
    if (work_.duration > 0 && (work_.flops > 0 || work_.bytes > 0))
      p.where("duration")
          .fail("0 when flops or bytes are given (a kernel is one or the other)",
                sim::format_time(work_.duration));
  }

  void start() override {
    ctx_.hold();
    if (sync_) {
      launch_one();
      return;
    }
    for (std::int64_t k = 0; k < kernels_; ++k)
      compute_.launch(gpu_, cpu_, work_, [this] { finished(); });
  }

  void finish() override {
    auto& st = ctx_.sim().stats();
    const double secs = sim::to_seconds(done_at_);
    const double n = static_cast<double>(done_);
    st.set_metric(name_ + ".kernels", n);
    st.set_metric(name_ + ".time_us", sim::to_us(done_at_));
    st.set_metric(name_ + ".per_kernel_us", n > 0 ? sim::to_us(done_at_) / n : 0.0);
    st.set_metric(name_ + ".kernel_us", sim::to_us(compute_.duration(gpu_, work_)));
    st.set_metric(name_ + ".roofline_us", sim::to_us(compute_.roofline(gpu_, work_)));
    st.set_metric(name_ + ".achieved_tflops", secs > 0 ? work_.flops * n / secs / 1e12 : 0.0);
    st.set_metric(name_ + ".achieved_gbps", secs > 0 ? work_.bytes * n / secs / 1e9 : 0.0);
    st.set_metric(name_ + ".launch_cpu_us", n * sim::to_us(compute_.launch_cost(gpu_)));
  }

 private:
  void launch_one() {
    compute_.launch(gpu_, cpu_, work_, [this] {
      finished();
      if (done_ < kernels_) launch_one();
    });
  }
  void finished() {
    if (++done_ == kernels_) {
      done_at_ = ctx_.sim().now();
      ctx_.release();
    }
  }

  sim::RunContext& ctx_;
  const std::string name_;
  Machine& m_;
  GpuCompute& compute_;
  KernelWork work_;
  int gpu_ = 0, cpu_ = 0;
  std::int64_t kernels_ = 1, done_ = 0;
  bool sync_ = false;
  sim::Tick done_at_ = 0;
};

HETSIM_REGISTER(sim::Workload, GpuKernelWorkload, "gpu_kernel");

}  // namespace models
