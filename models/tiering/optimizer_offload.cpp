// `optimizer_offload`: an optimizer state offloaded to host memory, larger than the fast
// tier (as when a trainer keeps Adam's fp32 master weights and moments in CPU memory and
// the CPU runs the update). Each training step streams the whole state once, shard by shard
// in a fixed order, read-modify-write: every line is read and written back. The threads work
// on one shard at a time (they split it), so at any moment the accesses fall uniformly on the
// current shard's folios and nowhere else: every folio is equally hot over a step and the
// hot set moves through the state once per step. Progress comes from the tiered_app
// machinery: a shard is done when its lines have been accessed. The state is laid out
// first-touch like any tiered_app process (its tail on slow_node).
#include <algorithm>
#include <cmath>

#include "models/tiering/tiered_app.h"

namespace models {

class OptimizerOffload : public TieredApp {
 public:
  static constexpr const char* kDoc =
      "Offloaded optimizer state on the tiered_app machinery: parameters x state_bytes "
      "(default 12: fp32 master weights and two Adam moments) streamed once per training step "
      "in fixed-order shards, read-modify-write; the threads split the current shard. Step time "
      "and where the accesses were served.";
  static const sim::ParamList& params();
  OptimizerOffload(sim::RunContext& ctx, const sim::Params& p);

 protected:
  void progressed(double accesses) override;
  bool work_done() const override { return steps_limit_ > 0 && steps_ >= steps_limit_; }
  bool finite() const override { return steps_limit_ > 0; }
  void extra_metrics(double acc, double el) override;

 private:
  static Shape shape(const sim::Params& p);
  void set_pattern();
  std::size_t shard_folios(std::size_t s) const;

  std::size_t per_shard_, shards_, shard_ = 0;
  std::uint64_t steps_limit_, steps_ = 0;
  double pending_ = 0;
  sim::Counter* steps_ctr_ = nullptr;
};

namespace {
std::uint64_t optimizer_state_bytes(const sim::Params& p) {
  const double b = p.d("parameters") * static_cast<double>(p.i("state_bytes"));
  const std::uint64_t f = p.size("folio");
  const auto raw = static_cast<std::uint64_t>(std::ceil(b));
  return f ? (raw + f - 1) / f * f : raw;
}
}  // namespace

const sim::ParamList& OptimizerOffload::params() {
  static const sim::ParamList p = [] {
    sim::ParamList l;
    add_common_params(l);
    const sim::ParamList own = {
        sim::p_double("parameters", 1e9, "model parameters whose optimizer state is offloaded", 1,
                      1e13),
        sim::p_int("state_bytes", 12,
                   "optimizer state bytes per parameter (12: fp32 master weight and Adam's two "
                   "fp32 moments)",
                   1, 64),
        sim::p_size("shard", "256MiB", "bytes of state the threads update together"),
        sim::p_int("steps", 0, "training steps (0: until the stop time)", 0, 1000000000),
    };
    l.insert(l.end(), own.begin(), own.end());
    add_task_params(l, "1MiB");
    return l;
  }();
  return p;
}

TieredApp::Shape OptimizerOffload::shape(const sim::Params& p) {
  Shape s;
  s.memory = optimizer_state_bytes(p);
  s.memory_key = "parameters";
  s.write_fraction = 1.0;  // read-modify-write: every line read is written back
  s.run_lines = 0;         // the update streams through each shard
  return s;
}

OptimizerOffload::OptimizerOffload(sim::RunContext& ctx, const sim::Params& p)
    : TieredApp(ctx, p, "optimizer_offload", shape(p)),
      steps_limit_(static_cast<std::uint64_t>(p.i("steps"))) {
  const std::uint64_t sh = p.size("shard");
  if (sh < folio_bytes() || sh % folio_bytes() != 0)
    p.where("shard").fail("a positive multiple of the folio size", std::to_string(sh) + " bytes");
  per_shard_ = static_cast<std::size_t>(sh / folio_bytes());
  shards_ = (folio_count() + per_shard_ - 1) / per_shard_;
  steps_ctr_ = &run_ctx().sim().stats().counter(instance_name() + ".steps");
  set_pattern();
}

std::size_t OptimizerOffload::shard_folios(std::size_t s) const {
  return std::min(per_shard_, folio_count() - s * per_shard_);
}

void OptimizerOffload::set_pattern() {
  std::vector<double> w(folio_count(), 0.0);
  for (std::size_t f = 0; f < shard_folios(shard_); ++f) w[shard_ * per_shard_ + f] = 1.0;
  pattern_mut().set_weights(w);
  placement_changed();
}

void OptimizerOffload::progressed(double accesses) {
  if (work_done()) return;
  pending_ += accesses;
  bool changed = false;
  for (double need = static_cast<double>(shard_folios(shard_) * folio_bytes()) / 64.0;
       pending_ >= need && !work_done();
       need = static_cast<double>(shard_folios(shard_) * folio_bytes()) / 64.0) {
    pending_ -= need;
    changed = true;
    if (++shard_ < shards_) continue;
    shard_ = 0;
    ++steps_;
    steps_ctr_->add(1);
  }
  if (changed) set_pattern();
}

void OptimizerOffload::extra_metrics(double acc, double el) {
  (void)acc;
  auto& st = run_ctx().sim().stats();
  const std::string& in = instance_name();
  st.set_metric(in + ".steps_done", static_cast<double>(steps_));
  // The mean step time over the run; with a partial step, the elapsed time over the work
  // done (whole steps plus the fraction of the current one).
  const double frac =
      static_cast<double>(steps_) +
      (static_cast<double>(shard_ * per_shard_) * static_cast<double>(folio_bytes()) +
       pending_ * 64.0) /
          (static_cast<double>(folio_count()) * static_cast<double>(folio_bytes()));
  st.set_metric(in + ".step_time_ms", frac > 0 ? el * 1e3 / frac : 0);
  st.set_metric(in + ".state_bytes",
                static_cast<double>(folio_count()) * static_cast<double>(folio_bytes()));
}

HETSIM_REGISTER(sim::Workload, OptimizerOffload, "optimizer_offload");

}  // namespace models
