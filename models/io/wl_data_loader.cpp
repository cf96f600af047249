// `data_loader`: a training input pipeline's reader threads. They read records (samples) of a
// dataset file striped over NVMe drives, sequentially or at random, through pread (page
// cache), O_DIRECT or io_uring. With `consume_rate` a GPU consumer takes one record every
// 1/consume_rate from a buffer of `prefetch` records; the loader stops issuing while the buffer
// and its reads in flight fill it, and the consumer is idle whenever the buffer is empty: a
// loader that cannot keep up shows as consumer (GPU) idle time.
#include "models/io/io_workload.h"

namespace models {

class DataLoader final : public IoWorkload {
 public:
  static constexpr const char* kDoc =
      "reader threads loading dataset records from NVMe (sequential or random) through pread, "
      "O_DIRECT or io_uring; optional GPU consumer at a fixed rate whose idle time shows a "
      "stalled loader";
  static const sim::ParamList& params() {
    static const sim::ParamList p = [] {
      sim::ParamList l = {
          sim::p_choice("path", "pread", {"pread", "odirect", "io_uring", "dax"},
                        "submission path: buffered pread (page cache copy), O_DIRECT pread, "
                        "io_uring (O_DIRECT), or dax (loads from a file mapped on a memory "
                        "node, dax_node)"),
          sim::p_choice("pattern", "random", {"sequential", "random"},
                        "which record comes next: the file in order, or uniform at random"),
          sim::p_int("records", 0, "records to load over all threads (0 = until the stop time)", 0,
                     1e12),
          sim::p_double("consume_rate", 0,
                        "records per second the GPU consumer takes (0 = no consumer)", 0, 1e12),
          sim::p_int("prefetch", 64, "consumer: records buffered ahead, reads in flight included",
                     1, 1 << 24),
          sim::p_bool("readahead", false,
                      "pread: the page cache keeps what it reads and the on-demand readahead "
                      "window (machine.io.read_ahead) reads ahead of sequential readers; false: "
                      "every pread misses a cold cache and reads just its record"),
      };
      add_io_params(l, "128KiB",
                    "io_uring: SQEs each thread keeps in flight (pread and odirect: 1, a "
                    "blocking call)");
      add_task_params(l, "256KiB");
      return l;
    }();
    return p;
  }

  DataLoader(sim::RunContext& ctx, const sim::Params& p)
      : IoWorkload(ctx, p, "data_loader", false),
        rate_(p.d("consume_rate")),
        prefetch_(p.i("prefetch")) {
    random_ = p.s("pattern") == "random";
    limit_ = p.i("records");
    if (p.b("readahead")) enable_readahead(p.where("readahead"));
  }

  void start() override {
    IoWorkload::start();
    if (rate_ > 0) {
      idle_ = true;
      idle_since_ = sched_.now();
    }
  }

  void finish() override {
    IoWorkload::finish();
    if (rate_ <= 0) return;
    Tick idle = idle_total_ + (idle_ ? elapsed() - idle_since_ : 0);
    const Tick el = elapsed() - start_at_;
    auto& st = ctx_.sim().stats();
    st.set_metric(instance_ + ".consumer_idle_share",
                  el > 0 ? static_cast<double>(idle) / static_cast<double>(el) : 0);
    st.set_metric(instance_ + ".consumed", static_cast<double>(consumed_));
  }

 protected:
  bool may_issue() const override {
    return rate_ <= 0 || (issued_ - completed_) + buffered_ < prefetch_;
  }
  void record_done() override {
    if (rate_ <= 0) return;
    if (idle_) {  // the waiting consumer takes it at once
      idle_ = false;
      idle_total_ += sched_.now() - idle_since_;
      consume_one();
      return;
    }
    ++buffered_;
  }

 private:
  void consume_one() {
    ++consumed_;
    kick();  // a slot of the buffer is free again
    const auto period = static_cast<Tick>(static_cast<double>(sim::kSec) / rate_);
    ctx_.sim().call_at(sched_.now() + std::max<Tick>(1, period), [this] {
      if (buffered_ > 0) {
        --buffered_;
        consume_one();
        return;
      }
      idle_ = true;
      idle_since_ = sched_.now();
    });
  }

  double rate_;
  std::int64_t prefetch_, buffered_ = 0, consumed_ = 0;
  bool idle_ = false;
  Tick idle_since_ = 0, idle_total_ = 0, start_at_ = 0;
};

HETSIM_REGISTER(sim::Workload, DataLoader, "data_loader");

}  // namespace models
