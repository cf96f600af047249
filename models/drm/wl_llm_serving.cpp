// `llm_serving`: an inference server on one GPU, as the GPU scheduler sees it. A decode
// context submits one job per decode iteration of a batch of sequences, back to back (the
// next after the previous one's tokens are out, plus `decode_gap` of host work); a prefill
// context submits one job per arriving prompt (Poisson arrivals), or one job per chunk of
// `chunk` tokens with each chunk waiting on the previous one's fence (Sarathi-style chunked
// prefill). Job durations come from profiled operator times (tables of tokens or batch size
// to milliseconds, interpolated log-log); every job is a sequence of equal kernels (`layers`
// x `kernels_per_layer`), which is where kernel-boundary preemption can stop it. The
// headline is the decode iterations' latency (time between tokens) and its tail.
#include <cmath>

#include "models/drm/drm_sched.h"
#include "models/drm/llm_profile.h"
#include "sim/rng.h"

namespace models {

class LlmServing : public sim::Workload {
 public:
  static constexpr const char* kDoc =
      "an LLM inference server on one GPU: back-to-back decode iterations and Poisson prefill "
      "arrivals as GPU jobs of two contexts (optionally chunked prefill); reports the decode "
      "iterations' latency (time between tokens) and the prefills' latency";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_string("gpu", "", "GPU name (\"\" = the machine's first GPU)"),
        sim::p_int("decode_batch", 32, "sequences per decode iteration (0 = no decode)", 0,
                   1 << 20),
        sim::p_choice("decode_priority", "high", {"kernel", "high", "normal", "low"},
                      "priority of the decode context"),
        sim::p_time("decode_gap", "0us",
                    "host time between an iteration's end and the next submission"),
        sim::p_int("prefill_tokens", 4096, "prompt tokens per prefill", 1, 1 << 24),
        sim::p_double("prefill_rate", 1.0, "prefill arrivals per second (Poisson; 0 = none)", 0,
                      1e6),
        sim::p_choice("prefill_priority", "normal", {"kernel", "high", "normal", "low"},
                      "priority of the prefill context"),
        sim::p_int("chunk", 0, "prefill chunk in tokens (0 = one job per prefill)", 0, 1 << 24),
        sim::p_double("chunk_overhead", 0.17,
                      "extra GPU time of a chunked prefill (512-token chunks add 15-19% to a "
                      "2-4K prefill: Sarathi-Serve profile)",
                      0, 10),
        sim::p_bool("prefill_idempotent", true,
                    "prefill jobs may be killed and re-executed (reset preemption)"),
    };
    static const sim::ParamList all = with_llm_profile(p);
    return all;
  }

  LlmServing(sim::RunContext& ctx, const sim::Params& p)
      : ctx_(ctx),
        name_(ctx.instance("llm_serving")),
        drm_(DrmScheduler::of(ctx)),
        rng_(ctx.sim().seed(), "workload." + name_),
        batch_(static_cast<int>(p.i("decode_batch"))),
        gap_(p.time("decode_gap")),
        tokens_(static_cast<int>(p.i("prefill_tokens"))),
        rate_(p.d("prefill_rate")),
        chunk_(static_cast<int>(p.i("chunk"))),
        overhead_(p.d("chunk_overhead")),
        idempotent_(p.b("prefill_idempotent")),
        kernels_(static_cast<int>(p.i("layers") * p.i("kernels_per_layer"))),
        prefill_ms_(LlmProfile::parse(p, "prefill_ms")),
        decode_ms_(LlmProfile::parse(p, "decode_ms")) {
    const int ring = drm_.ring(p.s("gpu"), p.where("gpu"));
    decode_ = drm_.entity(ring, name_ + ".decode", parse_drm_priority(p.s("decode_priority")));
    prefill_ = drm_.entity(ring, name_ + ".prefill", parse_drm_priority(p.s("prefill_priority")));
    auto& st = ctx.sim().stats();
    decode_lat_ = &st.histogram(name_ + ".decode_latency", "ms", static_cast<double>(sim::kMs));
    prefill_lat_ = &st.histogram(name_ + ".prefill_latency", "ms", static_cast<double>(sim::kMs));
    iterations_ = &st.counter(name_ + ".decode_iterations");
    arrived_ = &st.counter(name_ + ".prefills_arrived");
    prefilled_ = &st.counter(name_ + ".prefills_done");
    failed_ = &st.counter(name_ + ".jobs_failed");
  }

  void start() override {
    if (batch_ > 0) submit_decode();
    if (rate_ > 0) schedule_arrival();
  }

  void finish() override {
    ctx_.sim().stats().set_metric(name_ + ".decode_job_ms",
                                  sim::to_seconds(decode_ms_.at(batch_ > 0 ? batch_ : 1)) * 1e3);
    ctx_.sim().stats().set_metric(name_ + ".prefill_job_ms",
                                  sim::to_seconds(prefill_ms_.at(tokens_)) * 1e3);
  }

 private:
  void submit_decode() {
    DrmJobSpec s;
    s.entity = decode_;
    s.duration = decode_ms_.at(batch_);
    s.kernels = kernels_;
    const Tick t0 = ctx_.sim().now();
    s.done = [this, t0](int, bool ok) {
      if (!ok) failed_->add();
      iterations_->add();
      decode_lat_->record(static_cast<std::uint64_t>(ctx_.sim().now() - t0));
      ctx_.sim().call_after(gap_, [this] { submit_decode(); });
    };
    drm_.push(s);
  }

  void schedule_arrival() {
    const double gap_s = rng_.exponential(1.0 / rate_);
    ctx_.sim().call_after(static_cast<Tick>(gap_s * static_cast<double>(sim::kSec)),
                          [this] { arrive(); });
  }

  void arrive() {
    arrived_->add();
    const Tick t0 = ctx_.sim().now();
    const Tick whole = prefill_ms_.at(tokens_);
    const int n = chunk_ > 0 ? (tokens_ + chunk_ - 1) / chunk_ : 1;
    const Tick per =
        n > 1 ? static_cast<Tick>(static_cast<double>(whole) * (1 + overhead_) / n) : whole;
    int prev = -1;
    for (int c = 0; c < n; ++c) {
      DrmJobSpec s;
      s.entity = prefill_;
      s.duration = per;
      s.kernels = kernels_;
      s.idempotent = idempotent_;
      if (prev >= 0) s.deps.push_back(prev);
      const bool last = c == n - 1;
      s.done = [this, t0, last](int, bool ok) {
        if (!ok) failed_->add();
        if (!last) return;
        prefilled_->add();
        prefill_lat_->record(static_cast<std::uint64_t>(ctx_.sim().now() - t0));
      };
      prev = drm_.push(s);
    }
    schedule_arrival();
  }

  sim::RunContext& ctx_;
  const std::string name_;
  DrmScheduler& drm_;
  sim::Rng rng_;
  int batch_;
  Tick gap_;
  int tokens_;
  double rate_;
  int chunk_;
  double overhead_;
  bool idempotent_;
  int kernels_;
  LlmProfile prefill_ms_, decode_ms_;
  int decode_ = 0, prefill_ = 0;
  sim::Histogram *decode_lat_, *prefill_lat_;
  sim::Counter *iterations_, *arrived_, *prefilled_, *failed_;
};

HETSIM_REGISTER(sim::Workload, LlmServing, "llm_serving");

}  // namespace models
