// `checkpoint`: a training job's periodic checkpoint. Every `interval` a writer thread writes
// `size` bytes sequentially (continuing through the file) in `record`-sized O_DIRECT,
// io_uring or buffered writes (into the page cache, written back by the flusher and, with
// `fsync`, by an fsync that ends the checkpoint); the next checkpoint starts at the next
// interval boundary, or at once when the previous one overran it. Run it beside a
// data_loader to mix checkpoint writes with sample reads.
#include <cmath>

#include "models/io/io_workload.h"

namespace models {

class Checkpoint final : public IoWorkload {
 public:
  static constexpr const char* kDoc =
      "periodic large sequential writes (a checkpoint of `size` every `interval`) through "
      "O_DIRECT, io_uring or the page cache (buffered, with writeback and fsync)";
  static const sim::ParamList& params() {
    static const sim::ParamList p = [] {
      sim::ParamList l = {
          sim::p_choice("path", "io_uring", {"odirect", "io_uring", "buffered", "dax"},
                        "submission path of the writes: O_DIRECT, io_uring (O_DIRECT), "
                        "buffered write() into the page cache with writeback, or dax (stores "
                        "to a file mapped on a memory node, dax_node)"),
          sim::p_bool("fsync", true,
                      "buffered: fsync at the end of each checkpoint (the checkpoint ends when "
                      "it returns); false: it ends when its last write() returned"),
          sim::p_size("size", "1GiB", "bytes per checkpoint"),
          sim::p_time("interval", "1s", "time between checkpoint starts"),
          sim::p_int("checkpoints", 0, "checkpoints to write (0 = until the stop time)", 0, 1e9),
      };
      add_io_params(l, "1MiB",
                    "io_uring: writes each thread keeps in flight (odirect: 1, a blocking "
                    "call)");
      add_task_params(l, "256KiB");
      return l;
    }();
    return p;
  }

  Checkpoint(sim::RunContext& ctx, const sim::Params& p)
      : IoWorkload(ctx, p, "checkpoint", true),
        interval_(p.time("interval")),
        checkpoints_(p.i("checkpoints")),
        fsync_(p.b("fsync") && path_ == Path::Buffered) {
    const auto size = static_cast<std::int64_t>(p.size("size"));
    if (size < record_)
      p.where("size").fail("at least one record (" + std::to_string(record_) + " bytes)",
                           std::to_string(size));
    if (interval_ == 0) p.where("interval").fail("a positive time", "0");
    per_ckpt_ = (size + record_ - 1) / record_;
    if (checkpoints_ > 0) limit_ = per_ckpt_ * checkpoints_;
    duration_ = &ctx.sim().stats().histogram(instance_ + ".checkpoint_time", "ms",
                                             static_cast<double>(sim::kMs));
  }

  void finish() override {
    IoWorkload::finish();
    ctx_.sim().stats().set_metric(instance_ + ".checkpoints", static_cast<double>(written_));
  }

 protected:
  // Only the records of a checkpoint that has begun (its interval boundary passed).
  bool may_issue() const override { return issued_ < begun_ * per_ckpt_; }
  bool sync_due() const override { return fsync_ && completed_ >= (current_ + 1) * per_ckpt_; }
  void record_done() override {
    if (completed_ < (current_ + 1) * per_ckpt_) return;
    // The checkpoint is on the drives; the next one starts at its interval boundary.
    const Tick now = sched_.now();
    duration_->record(now - began_);
    ++written_;
    ++current_;
    const Tick next = std::max(now, static_cast<Tick>(current_) * interval_);
    ctx_.sim().call_at(next, [this] {
      ++begun_;
      began_ = sched_.now();
      kick();
    });
  }

 private:
  Tick interval_;
  std::int64_t checkpoints_;
  bool fsync_;
  std::int64_t per_ckpt_ = 1, current_ = 0, written_ = 0, begun_ = 1;
  Tick began_ = 0;
  sim::Histogram* duration_;
};

HETSIM_REGISTER(sim::Workload, Checkpoint, "checkpoint");

}  // namespace models
