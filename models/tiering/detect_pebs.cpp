// `pebs`: precise event-based sampling of memory accesses (Intel PEBS, AMD IBS), as MEMTIS and
// HeMem use it. Every `sample_period`-th access of a thread is recorded (the counter counts
// the thread's accesses: a thread's samples are floor(its accesses / sample_period)) into the
// buffer of the CPU it runs on; when a CPU's buffer holds `buffer` records the PMU raises an
// interrupt on that CPU, whose handler drains it: `drain_cost` plus `record_cost` per record,
// interrupt time that delays whatever runs there. Drained records count against their folio
// (the sampled address): its heat. A folio on a slow-tier node whose count reaches
// `hot_samples` is signalled hot (to a policy that promotes on a signal). Records still in a
// buffer at the end were never seen. The sampled folio is drawn from the access pattern at
// the time of the sample (the pattern the thread's accesses follow).
#include <cmath>
#include <vector>

#include "models/tiering/hotness.h"

namespace models {

namespace {

class Pebs final : public HotnessDetector {
 public:
  static constexpr const char* kDoc =
      "Precise event-based sampling: one access in sample_period recorded into a per-CPU "
      "buffer, drained by an interrupt when full; sample counts rank the folios.";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_int("sample_period", 4093,
                   "accesses per sample (the PMU counter's reload value; MEMTIS-like setups use "
                   "a prime of this order, est.)",
                   1, 1e12),
        sim::p_int("buffer", 64, "records a CPU's buffer holds before it interrupts (est.)", 1,
                   1e9),
        sim::p_time("drain_cost", "2us",
                    "the interrupt's fixed work: PMI entry, buffer reset, exit (est.)"),
        sim::p_time("record_cost", "100ns", "the handler's work per record drained (est.)"),
        sim::p_int("hot_samples", 2, "samples at which a slow-tier folio is signalled hot", 1, 1e9),
    };
    return p;
  }
  Pebs(sim::RunContext& ctx, const sim::Params& p)
      : ctx_(ctx),
        pf_(Machine::of(ctx)),
        period_(static_cast<double>(p.i("sample_period"))),
        buffer_(static_cast<std::size_t>(p.i("buffer"))),
        drain_cost_(p.time("drain_cost")),
        record_cost_(p.time("record_cost")),
        hot_(static_cast<double>(p.i("hot_samples"))),
        rng_(ctx.sim().seed(), "tiering.pebs") {}

  void attach(const TieringHost& host, Sink sink) override {
    HotnessDetector::attach(host, std::move(sink));
    count_.assign(host.mm->size(), 0.0);
    accesses_.assign(static_cast<std::size_t>(host.threads), 0.0);
    taken_.assign(static_cast<std::size_t>(host.threads), 0.0);
    buf_.resize(static_cast<std::size_t>(pf_.exec().cpu_count()));
  }

  bool on_quantum(int thread, int cpu, double accesses, std::function<void()>) override {
    const auto t = static_cast<std::size_t>(thread);
    accesses_[t] += accesses;
    const double due = std::floor(accesses_[t] / period_);
    auto& buf = buf_[static_cast<std::size_t>(cpu)];
    for (; taken_[t] < due; taken_[t] += 1) {
      buf.push_back(host_.pattern->draw(rng_));
      ++samples_;
      if (buf.size() >= buffer_) drain(cpu);
    }
    return false;  // the interrupts delay the thread; it does not wait for them
  }

  bool ranks() const override { return true; }
  double heat(std::size_t i) const override { return count_[i]; }
  void cool() override {
    for (double& c : count_) c *= 0.5;
  }

  void finish() override {
    auto& st = ctx_.sim().stats();
    st.set_metric("tiering.pebs.samples", static_cast<double>(samples_));
    st.set_metric("tiering.pebs.drained", static_cast<double>(drained_));
    st.set_metric("tiering.pebs.interrupts", static_cast<double>(interrupts_));
    st.set_metric("tiering.pebs.cpu_us", sim::to_us(cpu_));
    double acc = 0;
    for (double a : accesses_) acc += a;
    st.set_metric("tiering.pebs.accesses", acc);
  }

 private:
  void drain(int cpu) {
    auto& buf = buf_[static_cast<std::size_t>(cpu)];
    const Tick cost = drain_cost_ + record_cost_ * buf.size();
    cpu_ += cost;
    ++interrupts_;
    drained_ += buf.size();
    pf_.exec().irq(cpu, cost, [] {});
    const Tick now = ctx_.sim().now();
    for (std::size_t i : buf) {
      count_[i] += 1;
      const Folio& f = host_.mm->folio(i);
      if (count_[i] >= hot_ && !is_toptier(pf_.nodes()[static_cast<std::size_t>(f.node)]) &&
          !host_.busy(i)) {
        HotSignal s;
        s.folio = i;
        s.cpu = cpu;
        s.at = now;
        sink_(s, [] {});
      }
    }
    buf.clear();
  }

  sim::RunContext& ctx_;
  Machine& pf_;
  double period_;
  std::size_t buffer_;
  Tick drain_cost_, record_cost_;
  double hot_;
  sim::Rng rng_;
  std::vector<double> count_, accesses_, taken_;
  std::vector<std::vector<std::size_t>> buf_;  // per CPU: records not yet drained
  std::uint64_t samples_ = 0, drained_ = 0, interrupts_ = 0;
  Tick cpu_ = 0;
};

}  // namespace

HETSIM_REGISTER(HotnessDetector, Pebs, "pebs");

}  // namespace models
