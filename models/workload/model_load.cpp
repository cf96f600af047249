// `model_load`: N bytes of model weights loaded onto one or many GPUs, sharded evenly, every
// shard loaded at once by a loader thread on a CPU of its GPU's socket. Per tensor:
//   source nvme:       the tensor is read from the drives (striped over them) into host memory
//                      (page cache, or a pinned buffer with O_DIRECT), or straight into HBM
//                      (path direct, GPUDirect-Storage-like: the drives DMA into the GPU);
//   source page_cache: the tensor is already in host memory;
//   then path pageable: a pageable copy (CPU memcpy into staging buffers + copy engine),
//        path pinned:   one copy-engine copy from the pinned buffer.
// One shard copies its tensors one after another. Pinned and direct reads run up to `depth`
// tensors ahead (pinned buffers in rotation, reads in flight). A pageable copy of an mmap'd file
// faults its pages in: the read of a tensor overlaps the copies only by the page cache's
// `readahead` window, so with a window below a tensor, reads and copies alternate.
#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>

#include "models/gpu/gpu.h"
#include "models/machine/devices.h"
#include "models/machine/machine.h"
#include "sim/run_context.h"

namespace models {

class ModelLoadWorkload : public sim::Workload {
 public:
  static constexpr const char* kDoc =
      "Loads `bytes` of weights sharded over `gpus`, from NVMe drives or the page cache, per "
      "tensor: pageable copies, pinned staging, or direct storage-to-GPU.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_size("bytes", "140GB", "weights to load (70B parameters in fp16: 140 GB)"),
        sim::p_string("gpus", "all",
                      "GPUs the weights are sharded over: names, comma-separated, "
                      "or \"all\""),
        sim::p_choice("source", "nvme", {"nvme", "page_cache"},
                      "where the weights are: on the NVMe drives, or already in the page cache"),
        sim::p_choice("path", "pageable", {"pageable", "pinned", "direct"},
                      "pageable: mmap + per-tensor pageable copies; pinned: O_DIRECT reads into "
                      "pinned buffers (from page_cache: weights already in pinned memory) + "
                      "engine copies; direct: drives DMA into HBM (nvme only)"),
        sim::p_string("drives", "all",
                      "NVMe drives the weights are striped over: names, "
                      "comma-separated, or \"all\""),
        sim::p_size("tensor", "128MiB",
                    "bytes per tensor (a 70B model's matrices are 128-470 MiB in fp16; est.)"),
        sim::p_int("depth", 2,
                   "pinned and direct: tensors read ahead of the copies (pinned buffers in "
                   "rotation, reads in flight)",
                   1, 64),
        sim::p_size("readahead", "128KiB",
                    "pageable from nvme: how far the page cache reads ahead of the faulting "
                    "memcpy (Linux read_ahead_kb default; MADV_WILLNEED or a larger setting "
                    "raises it)"),
        sim::p_size("chunk", "2MiB", "pageable: bytes per driver staging buffer (est.)"),
    };
    return p;
  }

  ModelLoadWorkload(sim::RunContext& ctx, const sim::Params& p)
      : ctx_(ctx), name_(ctx.instance("model_load")), m_(Machine::of(ctx)), gpus_(Gpus::of(ctx)) {
    bytes_ = static_cast<double>(p.size("bytes"));
    nvme_ = p.s("source") == "nvme";
    path_ = p.s("path");
    tensor_ = static_cast<double>(p.size("tensor"));
    depth_ = static_cast<int>(p.i("depth"));
    chunk_ = static_cast<double>(p.size("chunk"));
    if (tensor_ <= 0) p.where("tensor").fail("a positive size", "0");
    if (chunk_ <= 0) p.where("chunk").fail("a positive size", "0");
    if (nvme_ && path_ == "pageable")
      depth_ = 1 + static_cast<int>(std::min<double>(
                       64, std::floor(static_cast<double>(p.size("readahead")) / tensor_)));
    if (path_ == "direct" && !nvme_)
      p.where("path").fail("pageable or pinned for weights in the page cache", "\"direct\"");
    for (const std::string& g : names(p.s("gpus"))) {
      if (g == "all") {
        for (int i = 0; i < gpus_.count(); ++i) add_shard(i);
        continue;
      }
      add_shard(gpus_.by_name(g, p.where("gpus")));
    }
    if (shards_.empty()) p.where("gpus").fail("at least one GPU", "\"" + p.s("gpus") + "\"");
    if (nvme_) {
      const auto all = nvme_drives(m_);
      for (const std::string& d : names(p.s("drives"))) {
        bool found = false;
        for (const NvmeDrive& x : all)
          if (d == "all" || x.name == d) {
            drives_.push_back(x);
            found = true;
          }
        if (!found)
          p.where("drives").fail("NVMe drives of this machine's devices list, or \"all\"",
                                 "\"" + d + "\"");
      }
      if (drives_.empty()) p.where("drives").fail("at least one NVMe drive", "none");
    }
    // Loader threads: shard i on a core of its GPU's socket, spread over the CCXs; its host buffers
    // on that socket's memory.
    std::vector<int> next(static_cast<std::size_t>(m_.cpu_spec().sockets), 0);
    const double per = bytes_ / static_cast<double>(shards_.size());
    for (Shard& s : shards_) {
      const MemNode& hbm = m_.nodes()[static_cast<std::size_t>(gpus_.spec(s.gpu).hbm)];
      if (per > static_cast<double>(hbm.capacity))
        p.where("bytes").fail("a shard per GPU within its HBM (" + hbm.name + ": " +
                                  std::to_string(hbm.capacity) + " bytes)",
                              std::to_string(p.size("bytes")) + " over " +
                                  std::to_string(shards_.size()) + " GPU(s)");
      const int socket = std::max(0, hbm.socket);
      s.cpu = cpu_on_socket(socket, next[static_cast<std::size_t>(socket)]++);
      s.host = 0;
      for (const MemNode& n : m_.nodes())
        if (n.kind == MemKind::Ddr && n.socket == socket) {
          s.host = n.id;
          break;
        }
      s.bytes = per;
      s.tensors = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(per / tensor_)));
    }
  }

  void start() override {
    ctx_.hold();
    left_ = static_cast<int>(shards_.size());
    for (std::size_t i = 0; i < shards_.size(); ++i) pump(i);
  }

  void finish() override {
    auto& st = ctx_.sim().stats();
    double storage = 0, transfer = 0;
    for (const Shard& s : shards_) {
      storage += sim::to_seconds(s.read_busy.total);
      transfer += sim::to_seconds(s.copy_busy.total);
    }
    const double n = static_cast<double>(shards_.size());
    const double t = sim::to_seconds(done_at_);
    st.set_metric(name_ + ".bytes", bytes_);
    st.set_metric(name_ + ".shards", n);
    st.set_metric(name_ + ".load_time_s", t);
    st.set_metric(name_ + ".achieved_gbps", t > 0 ? bytes_ / t / 1e9 : 0.0);
    st.set_metric(name_ + ".storage_busy_s", storage / n);
    st.set_metric(name_ + ".transfer_busy_s", transfer / n);
    st.set_metric(name_ + ".staging_cpu_s", gpus_.staging_cpu_ps().value() / 1e12);
    st.set_metric(name_ + ".tensors", static_cast<double>(tensors_done_));
  }

 private:
  // Time during which at least one operation of a kind was in flight.
  struct Busy {
    int active = 0;
    sim::Tick since = 0, total = 0;
    void up(sim::Tick now) {
      if (active++ == 0) since = now;
    }
    void down(sim::Tick now) {
      if (--active == 0) total += now - since;
    }
  };
  struct Shard {
    int gpu = 0, cpu = 0, host = 0;
    double bytes = 0;
    std::int64_t tensors = 0, read = 0, reading = 0, copied = 0;
    bool copying = false;
    Busy read_busy, copy_busy;
  };

  void add_shard(int gpu) {
    Shard s;
    s.gpu = gpu;
    shards_.push_back(s);
  }

  static std::vector<std::string> names(const std::string& list) {
    std::vector<std::string> out;
    std::stringstream ss(list);
    for (std::string item; std::getline(ss, item, ',');) {
      item.erase(0, item.find_first_not_of(' '));
      item.erase(item.find_last_not_of(' ') + 1);
      if (!item.empty()) out.push_back(item);
    }
    return out;
  }

  // The k-th loader thread of a socket: one per CCX first (the scheduler spreads busy threads
  // over the LLCs), then the next core of each.
  int cpu_on_socket(int socket, int k) const {
    std::vector<int> ids;
    const int per = m_.cpu_spec().cores_per_ccx;
    for (int round = 0; round < per; ++round)
      for (const Cpu& c : m_.cpus())
        if (c.socket == socket && c.thread == 0 && c.core % per == round) ids.push_back(c.id);
    return ids[static_cast<std::size_t>(k) % ids.size()];
  }

  double tensor_bytes(const Shard& s, std::int64_t k) const {
    return std::min(tensor_, s.bytes - static_cast<double>(k) * tensor_);
  }

  // Starts what the shard's window allows: reads up to `depth` tensors ahead, and the next copy.
  void pump(std::size_t i) {
    Shard& s = shards_[i];
    const sim::Tick now = ctx_.sim().now();
    while (s.read + s.reading < s.tensors && s.read + s.reading - s.copied < depth_) {
      const std::int64_t k = s.read + s.reading++;
      if (!nvme_) {  // in the page cache already
        --s.reading;
        ++s.read;
        continue;
      }
      s.read_busy.up(now);
      const int dst = path_ == "direct" ? gpus_.spec(s.gpu).hbm : s.host;
      read(tensor_bytes(s, k), dst, [this, i] {
        Shard& s = shards_[i];
        s.read_busy.down(ctx_.sim().now());
        --s.reading;
        ++s.read;
        if (path_ == "direct") ++s.copied, ++tensors_done_;
        shard_progress(i);
      });
    }
    if (path_ == "direct" || s.copying || s.copied >= s.read) return;
    const double b = tensor_bytes(s, s.copied);
    s.copying = true;
    s.copy_busy.up(now);
    auto done = [this, i] {
      Shard& s = shards_[i];
      s.copy_busy.down(ctx_.sim().now());
      s.copying = false;
      ++s.copied;
      ++tensors_done_;
      shard_progress(i);
    };
    const GpuSpec& g = gpus_.spec(s.gpu);
    const int ce = static_cast<int>(s.copied % g.copy_engines);
    if (path_ == "pinned") {
      gpus_.ce_copy(s.gpu, ce, s.cpu, s.host, g.hbm, b, done);
      return;
    }
    PageableCopy c;
    c.gpu = s.gpu;
    c.ce = ce;
    c.cpu = s.cpu;
    c.host = s.host;
    c.staging = s.host;
    c.bytes = b;
    c.chunk = chunk_;
    pageable_copy(gpus_, m_, c, done);
  }

  void shard_progress(std::size_t i) {
    Shard& s = shards_[i];
    if (s.copied == s.tensors) {
      if (--left_ == 0) {
        done_at_ = ctx_.sim().now();
        ctx_.release();
      }
      return;
    }
    pump(i);
  }

  // One tensor read, striped over the drives: each drive's share crosses its media, then the
  // route from the drive to `dst` (host memory, or a GPU's HBM).
  void read(double bytes, int dst, std::function<void()> done) {
    auto left = std::make_shared<std::size_t>(drives_.size());
    auto cb = std::make_shared<std::function<void()>>(std::move(done));
    for (const NvmeDrive& d : drives_) {
      sim::FlowNetwork::Spec spec;
      spec.path = {d.read};
      const auto& r = m_.graph().route(d.vertex, m_.nodes()[static_cast<std::size_t>(dst)].vertex);
      spec.path.insert(spec.path.end(), r.begin(), r.end());
      spec.bytes = bytes / static_cast<double>(drives_.size());
      spec.on_done = [left, cb] {
        if (--*left == 0) (*cb)();
      };
      m_.flows().start(std::move(spec));
    }
  }

  sim::RunContext& ctx_;
  const std::string name_;
  Machine& m_;
  Gpus& gpus_;
  double bytes_ = 0, tensor_ = 0, chunk_ = 0;
  bool nvme_ = true;
  std::string path_;
  int depth_ = 2, left_ = 0;
  std::int64_t tensors_done_ = 0;
  std::vector<Shard> shards_;
  std::vector<NvmeDrive> drives_;
  sim::Tick done_at_ = 0;
};

HETSIM_REGISTER(sim::Workload, ModelLoadWorkload, "model_load");

}  // namespace models
