// `kv_cache`: an LLM serving engine's KV cache in host memory, larger than the fast tier.
// The cache is a pool of request-sized slots allocated up front (as a serving engine
// reserves its KV block pool), laid out first-touch like any tiered_app process (the tail of
// the pool on slow_node). `batch` requests decode together: each decode step reads, for every
// live request, the keys and values of every token it holds (prompt plus tokens generated so
// far) and appends one token each. A request that has produced `output_tokens` leaves; its
// slot goes to the back of the free queue and the next request (there is always one waiting:
// a closed loop) takes the slot at the front, so requests wander over the whole pool and
// their blocks are hot while they live and cold after. KV bytes per token = layers x
// kv_heads x head_dim x 2 (K and V) x bytes per element. Progress comes from the tiered_app
// machinery: the threads' accesses (one 64-byte line each) are read from the pattern this
// workload sets (each live request's filled folios, weighted by the bytes it reads in them),
// and a step is done when the lines it reads have been accessed.
#include <algorithm>
#include <cmath>
#include <deque>

#include "models/tiering/tiered_app.h"

namespace models {

class KvCache : public TieredApp {
 public:
  static constexpr const char* kDoc =
      "LLM serving KV cache on the tiered_app machinery: a pool of `pool_requests` request "
      "slots (KV bytes per token = layers x kv_heads x head_dim x 2 x dtype_bytes), `batch` "
      "requests decoding at once, each decode step reading every live request's KV; finished "
      "requests free their slot to a FIFO the next request takes from (hot while alive, cold "
      "after). Tokens per second and where the reads were served.";
  static const sim::ParamList& params();
  KvCache(sim::RunContext& ctx, const sim::Params& p);

 protected:
  void progressed(double accesses) override;
  bool work_done() const override { return requests_ > 0 && served_ >= requests_; }
  bool finite() const override { return requests_ > 0; }
  void extra_metrics(double acc, double el) override;

 private:
  struct Request {
    int slot = -1;
    std::uint64_t generated = 0;
  };
  static Shape shape(const sim::Params& p);
  std::uint64_t filled_folios(const Request& r) const;
  void set_pattern();
  double step_lines() const;

  std::uint64_t bpt_, prompt_, output_, per_slot_;
  std::uint64_t requests_, served_ = 0, started_ = 0;
  std::vector<Request> live_;
  std::deque<int> free_;
  double pending_ = 0, tokens_ = 0, steps_ = 0;
  sim::Counter* tokens_ctr_ = nullptr;
};

namespace {
std::uint64_t kv_bytes_per_token(const sim::Params& p) {
  return static_cast<std::uint64_t>(p.i("layers") * p.i("kv_heads") * p.i("head_dim") * 2 *
                                    p.i("dtype_bytes"));
}
std::uint64_t kv_folios_per_slot(const sim::Params& p) {
  const std::uint64_t f = p.size("folio");
  const std::uint64_t bytes =
      kv_bytes_per_token(p) *
      static_cast<std::uint64_t>(p.i("prompt_tokens") + p.i("output_tokens"));
  return f ? (bytes + f - 1) / f : 0;
}
}  // namespace

const sim::ParamList& KvCache::params() {
  static const sim::ParamList p = [] {
    sim::ParamList l;
    add_common_params(l);
    const sim::ParamList own = {
        sim::p_int("layers", 32, "transformer layers (default: an 8B-parameter GQA model)", 1,
                   1000),
        sim::p_int("kv_heads", 8, "key/value heads per layer", 1, 1024),
        sim::p_int("head_dim", 128, "dimension of one head", 1, 16384),
        sim::p_int("dtype_bytes", 2, "bytes per K or V element (2: fp16/bf16)", 1, 8),
        sim::p_int("prompt_tokens", 1024, "prompt tokens of each request (KV from prefill)", 1,
                   10000000),
        sim::p_int("output_tokens", 256, "tokens each request generates, one per decode step", 1,
                   10000000),
        sim::p_int("batch", 16, "requests decoding together (continuous batching)", 1, 100000),
        sim::p_int("pool_requests", 64,
                   "request slots the KV pool holds (each sized for prompt + output tokens)", 1,
                   10000000),
        sim::p_int("requests", 0, "requests to serve (0: until the stop time)", 0, 1000000000),
    };
    l.insert(l.end(), own.begin(), own.end());
    add_task_params(l, "1MiB");
    return l;
  }();
  return p;
}

TieredApp::Shape KvCache::shape(const sim::Params& p) {
  Shape s;
  s.memory =
      kv_folios_per_slot(p) * p.size("folio") * static_cast<std::uint64_t>(p.i("pool_requests"));
  s.memory_key = "pool_requests";
  // Each step appends one token's K and V per request to the tokens it reads.
  const double mean_tokens =
      static_cast<double>(p.i("prompt_tokens")) + static_cast<double>(p.i("output_tokens")) / 2;
  s.write_fraction = 1.0 / (1.0 + mean_tokens);
  s.run_lines = 0;  // attention reads each request's KV in order: a stream
  return s;
}

KvCache::KvCache(sim::RunContext& ctx, const sim::Params& p)
    : TieredApp(ctx, p, "kv_cache", shape(p)),
      bpt_(kv_bytes_per_token(p)),
      prompt_(static_cast<std::uint64_t>(p.i("prompt_tokens"))),
      output_(static_cast<std::uint64_t>(p.i("output_tokens"))),
      per_slot_(kv_folios_per_slot(p)),
      requests_(static_cast<std::uint64_t>(p.i("requests"))) {
  const auto pool = static_cast<int>(p.i("pool_requests"));
  const auto batch = static_cast<int>(p.i("batch"));
  if (batch > pool)
    p.where("batch").fail("at most pool_requests (" + std::to_string(pool) + ")",
                          std::to_string(batch));
  // Steady state from the first step: the batch's requests are spread over their lives.
  for (int i = 0; i < batch; ++i) {
    Request r;
    r.slot = i;
    r.generated = output_ * static_cast<std::uint64_t>(i) / static_cast<std::uint64_t>(batch);
    live_.push_back(r);
  }
  started_ = static_cast<std::uint64_t>(batch);
  for (int s = batch; s < pool; ++s) free_.push_back(s);
  tokens_ctr_ = &run_ctx().sim().stats().counter(instance_name() + ".tokens");
  set_pattern();
}

std::uint64_t KvCache::filled_folios(const Request& r) const {
  const std::uint64_t bytes = (prompt_ + r.generated) * bpt_;
  return std::min(per_slot_, (bytes + folio_bytes() - 1) / folio_bytes());
}

double KvCache::step_lines() const {
  double lines = 0;
  for (const Request& r : live_)
    lines += static_cast<double>((prompt_ + r.generated) * bpt_) / 64.0;
  return lines;
}

void KvCache::set_pattern() {
  std::vector<double> w(folio_count(), 0.0);
  for (const Request& r : live_) {
    const std::uint64_t bytes = (prompt_ + r.generated) * bpt_;
    const std::uint64_t n = filled_folios(r);
    for (std::uint64_t f = 0; f < n; ++f) {
      const std::uint64_t in = std::min(folio_bytes(), bytes - f * folio_bytes());
      w[static_cast<std::size_t>(static_cast<std::uint64_t>(r.slot) * per_slot_ + f)] =
          static_cast<double>(in);
    }
  }
  pattern_mut().set_weights(w);
  placement_changed();
}

void KvCache::progressed(double accesses) {
  pending_ += accesses;
  bool changed = false;
  for (double need = step_lines(); !live_.empty() && pending_ >= need; need = step_lines()) {
    pending_ -= need;
    steps_ += 1;
    tokens_ += static_cast<double>(live_.size());
    tokens_ctr_->add(static_cast<double>(live_.size()));
    for (std::size_t i = 0; i < live_.size();) {
      Request& r = live_[i];
      const std::uint64_t before = filled_folios(r);
      ++r.generated;
      if (filled_folios(r) != before) changed = true;
      if (r.generated < output_) {
        ++i;
        continue;
      }
      ++served_;
      free_.push_back(r.slot);
      changed = true;
      if (requests_ == 0 || started_ < requests_) {
        r.slot = free_.front();
        free_.pop_front();
        r.generated = 0;
        ++started_;
        ++i;
      } else {
        live_.erase(live_.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }
  }
  if (changed && !live_.empty()) set_pattern();
}

void KvCache::extra_metrics(double acc, double el) {
  (void)acc;
  auto& st = run_ctx().sim().stats();
  const std::string& in = instance_name();
  st.set_metric(in + ".tokens_per_s", el > 0 ? tokens_ / el : 0);
  st.set_metric(in + ".decode_steps", steps_);
  st.set_metric(in + ".requests_done", static_cast<double>(served_));
  st.set_metric(in + ".kv_bytes_per_token", static_cast<double>(bpt_));
  st.set_metric(in + ".pool_bytes",
                static_cast<double>(folio_count()) * static_cast<double>(folio_bytes()));
}

HETSIM_REGISTER(sim::Workload, KvCache, "kv_cache");

}  // namespace models
