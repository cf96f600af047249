// `llm_engine`: an LLM serving engine's iteration-level batching on one GPU (after vLLM and
// Sarathi-Serve). Requests arrive (Poisson) with prompt and output lengths; the engine runs
// one iteration at a time as a GPU job: a prefill of waiting prompts, a decode step of every
// running request (one token each), or, with chunked prefill, both at once. Policies:
// `prefill_first` (vLLM's default: waiting prompts are prefilled as soon as the batch has
// room, and the running requests' decodes wait for that iteration), `decode_priority`
// (request-level batching: new requests join only when the running batch has drained), and
// `chunked` (stall-free batching: every iteration carries all decodes plus prompt chunks up to
// a token budget). Iteration times come from the profile (a mixed iteration costs a prefill of
// all its tokens). Reports time to first token, time between tokens and goodput at the SLOs.
#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "models/drm/drm_sched.h"
#include "models/drm/llm_profile.h"
#include "sim/rng.h"

namespace models {

class LlmEngine : public sim::Workload {
 public:
  static constexpr const char* kDoc =
      "an LLM serving engine's iteration-level batching on one GPU (prefill_first, "
      "decode_priority, chunked): Poisson requests with prompt and output lengths; reports "
      "TTFT, TBT and goodput at SLOs";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_string("gpu", "", "GPU name (\"\" = the machine's first GPUs, one per replica)"),
        sim::p_choice("batching", "prefill_first", {"prefill_first", "decode_priority", "chunked"},
                      "iteration-level batching policy"),
        sim::p_double("rate", 1.0, "request arrivals per second (Poisson)", 1e-6, 1e6),
        sim::p_string("trace", "",
                      "CSV of requests (arrival_s,prompt_tokens,output_tokens, a header line; "
                      "relative to the scenario file) instead of Poisson arrivals"),
        sim::p_int("replicas", 1, "engine replicas, one per GPU (the first ones, or `gpu` alone)",
                   1, 4096),
        sim::p_choice("router", "round_robin", {"round_robin", "least_loaded"},
                      "where a request goes: in turn, or to the replica with the fewest "
                      "requests waiting or running"),
        sim::p_int("prompt_tokens", 1024, "prompt length (mean with lengths=exponential)", 1,
                   1 << 24),
        sim::p_int("output_tokens", 128, "output length (mean with lengths=exponential)", 1,
                   1 << 24),
        sim::p_choice("lengths", "fixed", {"fixed", "exponential"},
                      "prompt and output lengths: fixed, or drawn per request"),
        sim::p_int("max_batch", 64, "requests in the running batch at most (KV-cache room)", 1,
                   1 << 20),
        sim::p_int("token_budget", 512,
                   "chunked: tokens per iteration (decodes first, then prompt chunks)", 1, 1 << 24),
        sim::p_int("max_prefill_tokens", 4096,
                   "prefill_first, decode_priority: prompt tokens one prefill iteration takes "
                   "(one prompt at least; vLLM max_num_batched_tokens)",
                   1, 1 << 24),
        sim::p_time("slo_ttft", "2s", "time-to-first-token objective for goodput"),
        sim::p_time("slo_tbt", "200ms", "a request's worst time between tokens, for goodput"),
    };
    static const sim::ParamList all = with_llm_profile(p);
    return all;
  }

  LlmEngine(sim::RunContext& ctx, const sim::Params& p)
      : ctx_(ctx),
        name_(ctx.instance("llm_engine")),
        drm_(DrmScheduler::of(ctx)),
        rng_(ctx.sim().seed(), "workload." + name_),
        rate_(p.d("rate")),
        prompt_(static_cast<int>(p.i("prompt_tokens"))),
        output_(static_cast<int>(p.i("output_tokens"))),
        exponential_(p.s("lengths") == "exponential"),
        max_batch_(static_cast<int>(p.i("max_batch"))),
        budget_(static_cast<int>(p.i("token_budget"))),
        max_prefill_(static_cast<int>(p.i("max_prefill_tokens"))),
        slo_ttft_(p.time("slo_ttft")),
        slo_tbt_(p.time("slo_tbt")),
        kernels_(static_cast<int>(p.i("layers") * p.i("kernels_per_layer"))),
        prefill_ms_(LlmProfile::parse(p, "prefill_ms")),
        decode_ms_(LlmProfile::parse(p, "decode_ms")) {
    const std::string& b = p.s("batching");
    policy_ = b == "chunked" ? kChunked : b == "decode_priority" ? kDecodePriority : kPrefillFirst;
    least_loaded_ = p.s("router") == "least_loaded";
    const int replicas = static_cast<int>(p.i("replicas"));
    const int first = drm_.ring(p.s("gpu"), p.where("gpu"));  // fails without a GPU
    if (!p.s("gpu").empty() && replicas > 1)
      p.where("replicas").fail("1 when `gpu` names one GPU", std::to_string(replicas));
    if (replicas > drm_.rings())
      p.where("replicas")
          .fail("at most the machine's " + std::to_string(drm_.rings()) + " GPUs",
                std::to_string(replicas));
    for (int i = 0; i < replicas; ++i) {
      const int ring = p.s("gpu").empty() ? i : first;
      Replica r;
      r.entity = drm_.entity(ring, name_ + "." + drm_.gpu(ring), DrmPriority::Normal);
      replicas_.push_back(std::move(r));
    }
    if (!p.s("trace").empty()) load_trace(p);
    auto& st = ctx.sim().stats();
    const double ms = static_cast<double>(sim::kMs);
    ttft_ = &st.histogram(name_ + ".ttft", "ms", ms);
    tbt_ = &st.histogram(name_ + ".tbt", "ms", ms);
    e2e_ = &st.histogram(name_ + ".e2e", "ms", ms);
    arrived_ = &st.counter(name_ + ".requests_arrived");
    done_ = &st.counter(name_ + ".requests_done");
    good_ = &st.counter(name_ + ".requests_in_slo");
    iterations_ = &st.counter(name_ + ".iterations");
    batch_ = &st.time_average(name_ + ".running");
  }

  void start() override {
    if (trace_.empty()) {
      schedule_arrival();
      return;
    }
    for (const Request& r : trace_) ctx_.sim().call_at(r.arrival, [this, r] { arrive(r); });
  }

  void finish() override {
    const double secs = sim::to_seconds(ctx_.sim().now());
    ctx_.sim().stats().set_metric(name_ + ".goodput", secs > 0 ? good_->value() / secs : 0);
    ctx_.sim().stats().set_metric(name_ + ".throughput", secs > 0 ? done_->value() / secs : 0);
  }

 private:
  enum Policy { kPrefillFirst, kDecodePriority, kChunked };
  struct Request {
    Tick arrival = 0, first_token = 0, last_token = 0, worst_tbt = 0;
    int prompt = 0, output = 0, prefilled = 0, generated = 0;
  };

  struct Replica {
    int entity = 0;
    bool busy = false;
    std::deque<Request> waiting;
    std::vector<Request> running;
    std::size_t load() const { return waiting.size() + running.size(); }
  };

  int draw(int mean) {
    if (!exponential_) return mean;
    return std::max(1, static_cast<int>(std::llround(rng_.exponential(mean))));
  }

  void schedule_arrival() {
    const Tick gap =
        static_cast<Tick>(rng_.exponential(1.0 / rate_) * static_cast<double>(sim::kSec));
    ctx_.sim().call_after(gap, [this] {
      Request r;
      r.arrival = ctx_.sim().now();
      r.prompt = draw(prompt_);
      r.output = draw(output_);
      arrive(r);
      schedule_arrival();
    });
  }

  void arrive(const Request& r) {
    arrived_->add();
    std::size_t to = next_++ % replicas_.size();
    if (least_loaded_)
      for (std::size_t i = 0; i < replicas_.size(); ++i)
        if (replicas_[i].load() < replicas_[to].load()) to = i;
    Replica& rep = replicas_[to];
    rep.waiting.push_back(r);
    if (!rep.busy) iterate(rep);
  }

  void load_trace(const sim::Params& p) {
    namespace fs = std::filesystem;
    const sim::Where w = p.where("trace");
    fs::path path = p.s("trace");
    if (path.is_relative()) path = fs::path(w.file).parent_path() / path;
    std::ifstream in(path);
    if (!in) w.fail("a readable CSV file", "\"" + path.string() + "\", which cannot be opened");
    std::string line;
    std::getline(in, line);  // header
    for (int n = 2; std::getline(in, line); ++n) {
      if (line.empty()) continue;
      std::stringstream ss(line);
      double t = -1, pr = 0, out = 0;
      char c1 = 0, c2 = 0;
      ss >> t >> c1 >> pr >> c2 >> out;
      if (!ss || c1 != ',' || c2 != ',' || t < 0 || t > 1e6 || pr < 1 || pr > (1 << 24) ||
          out < 1 || out > (1 << 24) ||
          (!trace_.empty() && sim::ms(t * 1e3) < trace_.back().arrival))
        w.fail("lines of arrival_s (ascending, >= 0), prompt_tokens and output_tokens (1 .. 2^24)",
               "line " + std::to_string(n) + " of " + path.string() + ": \"" + line + "\"");
      Request r;
      r.arrival = sim::ms(t * 1e3);
      r.prompt = static_cast<int>(pr);
      r.output = static_cast<int>(out);
      trace_.push_back(r);
    }
    if (trace_.empty()) w.fail("at least one request", path.string() + " has none");
  }

  // Builds and submits the next iteration, if there is work.
  void iterate(Replica& rep) {
    auto& waiting_ = rep.waiting;
    auto& running_ = rep.running;
    std::vector<std::pair<std::size_t, int>> chunks;  // (waiting index, prompt tokens)
    bool decode = false;
    int tokens = 0;
    const int running = static_cast<int>(running_.size());
    if (policy_ == kChunked) {
      decode = running > 0;
      tokens = running;
      int room = max_batch_ - running;
      for (std::size_t i = 0; i < waiting_.size() && tokens < budget_ && room > 0; ++i, --room) {
        const Request& r = waiting_[i];
        const int n = std::min(r.prompt - r.prefilled, budget_ - tokens);
        chunks.emplace_back(i, n);
        tokens += n;
      }
    } else {
      const bool admit = policy_ == kPrefillFirst ? running < max_batch_ : running == 0;
      if (admit && !waiting_.empty()) {
        int room = max_batch_ - running;
        for (std::size_t i = 0; i < waiting_.size() && room > 0; ++i, --room) {
          if (i > 0 && tokens + waiting_[i].prompt > max_prefill_) break;
          chunks.emplace_back(i, waiting_[i].prompt);
          tokens += waiting_[i].prompt;
        }
      } else {
        decode = running > 0;
      }
    }
    if (!decode && chunks.empty()) return;
    const Tick t = chunks.empty() ? decode_ms_.at(running) : prefill_ms_.at(tokens);
    rep.busy = true;
    DrmJobSpec s;
    s.entity = rep.entity;
    s.duration = t;
    s.kernels = kernels_;
    s.done = [this, &rep, chunks, decode](int, bool) { complete(rep, chunks, decode); };
    drm_.push(s);
  }

  void complete(Replica& rep, const std::vector<std::pair<std::size_t, int>>& chunks, bool decode) {
    auto& waiting_ = rep.waiting;
    auto& running_ = rep.running;
    const Tick now = ctx_.sim().now();
    iterations_->add();
    if (decode) {
      for (Request& r : running_) token(r, now);
      finish_done(running_, now);
    }
    // Prompts that are now fully prefilled produce their first token and join the batch.
    std::vector<std::size_t> joined;
    for (const auto& [i, n] : chunks) {
      Request& r = waiting_[i];
      r.prefilled += n;
      if (r.prefilled < r.prompt) continue;
      ttft_->record(now - r.arrival);
      r.generated = 1;
      r.first_token = r.last_token = now;
      joined.push_back(i);
    }
    for (auto it = joined.rbegin(); it != joined.rend(); ++it) {
      running_.push_back(waiting_[*it]);
      waiting_.erase(waiting_.begin() + static_cast<long>(*it));
    }
    finish_done(running_, now);
    rep.busy = false;
    std::size_t total = 0;
    for (const Replica& x : replicas_) total += x.running.size();
    batch_->set(now, static_cast<double>(total) / static_cast<double>(replicas_.size()));
    iterate(rep);
  }

  void token(Request& r, Tick now) {
    const Tick gap = now - r.last_token;
    tbt_->record(gap);
    r.worst_tbt = std::max(r.worst_tbt, gap);
    r.last_token = now;
    ++r.generated;
  }

  void finish_done(std::vector<Request>& running_, Tick now) {
    for (auto it = running_.begin(); it != running_.end();) {
      if (it->generated < it->output) {
        ++it;
        continue;
      }
      done_->add();
      e2e_->record(now - it->arrival);
      if (it->first_token - it->arrival <= slo_ttft_ && it->worst_tbt <= slo_tbt_) good_->add();
      it = running_.erase(it);
    }
  }

  sim::RunContext& ctx_;
  const std::string name_;
  DrmScheduler& drm_;
  sim::Rng rng_;
  double rate_;
  int prompt_, output_;
  bool exponential_;
  int max_batch_, budget_, max_prefill_;
  Tick slo_ttft_, slo_tbt_;
  int kernels_;
  LlmProfile prefill_ms_, decode_ms_;
  Policy policy_ = kPrefillFirst;
  bool least_loaded_ = false;
  std::size_t next_ = 0;
  std::deque<Replica> replicas_;  // stable addresses: iterations hold a reference
  std::vector<Request> trace_;
  sim::Histogram *ttft_, *tbt_, *e2e_;
  sim::Counter *arrived_, *done_, *good_, *iterations_;
  sim::TimeAverage* batch_;
};

HETSIM_REGISTER(sim::Workload, LlmEngine, "llm_engine");

}  // namespace models
