// `gpu_copy`: explicit copies host <-> device and device <-> device with a GPU's copy engines,
// as cudaMemcpy does them: pinned host memory is read or written by the engine directly;
// pageable host memory goes through the driver's pinned staging buffers, filled or drained by
// the calling CPU (models/gpu/gpu.h). Device-to-device copies take the route the machine
// graph gives between the two GPUs (NVLink, a shared PCIe switch, or the root complex), or,
// with mode=host, are bounced through a pinned host buffer (device to host, then host to
// device) as when peer access is not available.
#include <algorithm>
#include <cmath>

#include "models/gpu/gpu.h"
#include "models/machine/machine.h"
#include "sim/run_context.h"

namespace models {

namespace {

// The first DDR node on `socket` (a CPU's local memory), else `fallback`.
int local_ddr(const Machine& m, int socket, int fallback) {
  for (const MemNode& n : m.nodes())
    if (n.kind == MemKind::Ddr && n.socket == socket) return n.id;
  return fallback;
}

}  // namespace

class GpuCopyWorkload : public sim::Workload {
 public:
  static constexpr const char* kDoc =
      "Copies `bytes` between host memory and a GPU or between two GPUs with the GPU's copy "
      "engines, split over `engines` of them; pinned, pageable (CPU-copied through staging "
      "buffers) or, between GPUs, peer-to-peer over the graph's route or bounced through host.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_size("bytes", "1GiB", "bytes to copy"),
        sim::p_string("from", "node0", "source: a host memory node, a GPU or its HBM node"),
        sim::p_string("to", "gpu0", "destination: a host memory node, a GPU or its HBM node"),
        sim::p_choice("mode", "pinned", {"pinned", "pageable", "host"},
                      "pinned: the engine reaches host memory directly; pageable: through "
                      "staging buffers a CPU copies; host (GPU to GPU): bounced through a "
                      "pinned host buffer on the calling CPU's node"),
        sim::p_int("cpu", 0, "the calling CPU: submits copies and does staging copies"),
        sim::p_int("engines", 1, "copy engines of the GPU the copy is split over", 1, 64),
        sim::p_size("chunk", "2MiB", "pageable: bytes per staging buffer (est.)"),
        sim::p_int("buffers", 2, "pageable: staging buffers in rotation (double buffering)", 1, 64),
        sim::p_bool("first_touch", false,
                    "pageable: the host buffer was never touched, so each 4 KiB page faults on "
                    "the staging memcpy's first access (and a destination page is zeroed)"),
        sim::p_time("fault_cost", "0.6us",
                    "pageable, first_touch: one minor fault: exception, handle_mm_fault, "
                    "folio allocation (est., as the page_fault workload's)"),
    };
    return p;
  }

  GpuCopyWorkload(sim::RunContext& ctx, const sim::Params& p)
      : ctx_(ctx), name_(ctx.instance("gpu_copy")), m_(Machine::of(ctx)), gpus_(Gpus::of(ctx)) {
    bytes_ = static_cast<double>(p.size("bytes"));
    src_ = endpoint(p, "from");
    dst_ = endpoint(p, "to");
    cpu_ = p.index("cpu", static_cast<std::uint64_t>(m_.cpu_count()), "CPU");
    mode_ = p.s("mode");
    engines_ = static_cast<int>(p.i("engines"));
    chunk_ = static_cast<double>(p.size("chunk"));
    buffers_ = static_cast<int>(p.i("buffers"));
    fault_ = p.b("first_touch") ? p.time("fault_cost") : 0;
    if (chunk_ <= 0) p.where("chunk").fail("a positive size", "0");
    const int gs = gpus_.owning(src_), gd = gpus_.owning(dst_);
    if (gs < 0 && gd < 0)
      p.where("to").fail("a GPU or its HBM on at least one end of the copy",
                         "\"" + p.s("to") + "\"");
    gpu_ = gs >= 0 ? gs : gd;  // a device-to-device copy runs on the source's engines
    d2d_ = gs >= 0 && gd >= 0;
    if (d2d_ && mode_ == "pageable")
      p.where("mode").fail("pinned or host for a copy between GPUs", "\"pageable\"");
    if (!d2d_ && mode_ == "host")
      p.where("mode").fail("pinned or pageable for a copy between host and GPU", "\"host\"");
    if (fault_ > 0 && mode_ != "pageable")
      p.where("first_touch")
          .fail("false unless mode is pageable (pinned memory is faulted in)", "true");
    if (mode_ == "pageable" && engines_ > 1)
      p.where("engines").fail(
          "1 for a pageable copy (one calling thread fills the staging buffers)",
          std::to_string(engines_));
    if (engines_ > gpus_.spec(gpu_).copy_engines)
      p.where("engines").fail(
          "at most the GPU's " + std::to_string(gpus_.spec(gpu_).copy_engines) + " copy engines",
          std::to_string(engines_));
    for (int end : {src_, dst_})
      if (gpus_.owning(end) >= 0 && bytes_ > static_cast<double>(m_.nodes()[end].capacity))
        p.where("bytes").fail("at most the HBM capacity of " + m_.nodes()[end].name + " (" +
                                  std::to_string(m_.nodes()[end].capacity) + " bytes)",
                              std::to_string(p.size("bytes")));
    staging_ = local_ddr(m_, m_.cpus()[static_cast<std::size_t>(cpu_)].socket, 0);
  }

  void start() override {
    ctx_.hold();
    left_ = engines_;
    const double per = bytes_ / engines_;
    for (int e = 0; e < engines_; ++e) {
      auto done = [this] {
        if (--left_ == 0) {
          done_at_ = ctx_.sim().now();
          ctx_.release();
        }
      };
      if (mode_ == "pageable") {
        PageableCopy c;
        c.gpu = gpu_;
        c.ce = e;
        c.cpu = cpu_;
        c.to_device = gpus_.owning(dst_) >= 0;
        c.host = c.to_device ? src_ : dst_;
        c.staging = staging_;
        c.bytes = per;
        c.chunk = chunk_;
        c.buffers = buffers_;
        c.fault = fault_;
        pageable_copy(gpus_, m_, c, done);
      } else if (mode_ == "host") {
        const int to_gpu = gpus_.owning(dst_);
        gpus_.ce_copy(gpu_, e, cpu_, src_, staging_, per, [this, e, per, to_gpu, done] {
          gpus_.ce_copy(to_gpu, std::min(e, gpus_.spec(to_gpu).copy_engines - 1), cpu_, staging_,
                        dst_, per, done);
        });
      } else {
        gpus_.ce_copy(gpu_, e, cpu_, src_, dst_, per, done);
      }
    }
  }

  void finish() override {
    auto& st = ctx_.sim().stats();
    // The route's slowest link; bounced through host memory, the slower of the two legs.
    double bottleneck = m_.flows().bottleneck(m_.copy_path(gpus_.spec(gpu_).vertex, src_, dst_));
    if (mode_ == "host") {
      const int to = gpus_.owning(dst_);
      bottleneck =
          std::min(m_.flows().bottleneck(m_.copy_path(gpus_.spec(gpu_).vertex, src_, staging_)),
                   m_.flows().bottleneck(m_.copy_path(gpus_.spec(to).vertex, staging_, dst_)));
    }
    st.set_metric(name_ + ".bytes", bytes_);
    st.set_metric(name_ + ".time_us", sim::to_us(done_at_));
    st.set_metric(name_ + ".throughput_gbps",
                  done_at_ ? bytes_ / sim::to_seconds(done_at_) / 1e9 : 0.0);
    st.set_metric(name_ + ".route_bottleneck_gbps", bottleneck / 1e9);
    st.set_metric(name_ + ".staging_cpu_us", gpus_.staging_cpu_ps().value() / 1e6);
  }

 private:
  // A memory node by name, or a GPU's name for its HBM; unknown names fail at `key`.
  int endpoint(const sim::Params& p, const char* key) {
    const std::string& s = p.s(key);
    for (const MemNode& n : m_.nodes())
      if (n.name == s) return n.id;
    for (int g = 0; g < gpus_.count(); ++g)
      if (gpus_.spec(g).name == s) return gpus_.spec(g).hbm;
    std::string known;
    for (const MemNode& n : m_.nodes()) known += (known.empty() ? "" : ", ") + n.name;
    for (int g = 0; g < gpus_.count(); ++g) known += ", " + gpus_.spec(g).name;
    p.where(key).fail("a memory node or a GPU of this machine (" + known + ")", "\"" + s + "\"");
  }

  sim::RunContext& ctx_;
  const std::string name_;
  Machine& m_;
  Gpus& gpus_;
  double bytes_ = 0, chunk_ = 0;
  int src_ = 0, dst_ = 0, cpu_ = 0, engines_ = 1, buffers_ = 2, gpu_ = 0, staging_ = 0, left_ = 0;
  bool d2d_ = false;
  std::string mode_;
  sim::Tick done_at_ = 0, fault_ = 0;
};

HETSIM_REGISTER(sim::Workload, GpuCopyWorkload, "gpu_copy");

}  // namespace models
