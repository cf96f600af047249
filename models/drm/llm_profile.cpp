#include "models/drm/llm_profile.h"

#include "sim/json.h"

namespace models {

LlmProfile LlmProfile::parse(const sim::Params& p, const std::string& key) {
  const sim::Json& j = p.raw(key);
  const sim::Where w = p.where(key);
  const char* want = "at least two [size, milliseconds] pairs, sizes ascending, all positive";
  if (!j.is_array() || j.size() < 2) w.fail(want, sim::describe_value(j));
  LlmProfile out;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const sim::Json& e = j[i];
    if (!e.is_array() || e.size() != 2 || !e[0].is_number() || !e[1].is_number() ||
        e[0].get<double>() <= 0 || e[1].get<double>() <= 0 ||
        (i > 0 && e[0].get<double>() <= out.pts.back().first))
      w.child(i).fail(want, sim::describe_value(e));
    out.pts.emplace_back(e[0].get<double>(), e[1].get<double>());
  }
  return out;
}

sim::Tick LlmProfile::at(double x) const {
  std::size_t i = 1;
  while (i + 1 < pts.size() && x > pts[i].first) ++i;
  const auto [x0, y0] = pts[i - 1];
  const auto [x1, y1] = pts[i];
  const double slope = std::log(y1 / y0) / std::log(x1 / x0);
  const double ms = y0 * std::exp(slope * std::log(x / x0));
  return static_cast<sim::Tick>(std::llround(ms * static_cast<double>(sim::kMs)));
}

sim::ParamList with_llm_profile(sim::ParamList p) {
  p.push_back(sim::p_int("layers", 60, "transformer layers (Yi-34B: 60)", 1, 10000));
  p.push_back(
      sim::p_int("kernels_per_layer", 10, "GPU kernels per layer and job (est.)", 1, 10000));
  p.push_back(sim::p_any(
      "prefill_ms", sim::Json::parse("[[1024,214],[2048,366],[4096,758],[8192,1860],[16384,4410]]"),
      "prefill time by tokens, [[tokens, ms], ...] (default: Yi-34B, TP2 on 2x A100-80GB "
      "PCIe, Sarathi-Serve profile)"));
  p.push_back(sim::p_any("decode_ms", sim::Json::parse("[[1,46.8],[32,87.9],[128,189.3]]"),
                         "decode iteration time by batch size, [[batch, ms], ...] (same source)"));
  return p;
}

}  // namespace models
