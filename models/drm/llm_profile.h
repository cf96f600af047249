#pragma once
// Profiled operator times of an LLM on its GPUs (inputs, as Vidur and Sarathi-Serve use them):
// a prefill's time by the tokens it processes, a decode iteration's time by its batch size.
// Between profiled points the time is interpolated log-log; beyond them the end segments are
// extended. An iteration that mixes prefill and decode tokens costs what a prefill of all its
// tokens costs (Sarathi-Serve: 1021 prefill + 3 decode tokens cost as much as 1024 prefill).
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "sim/params.h"
#include "sim/time.h"

namespace models {

struct LlmProfile {
  std::vector<std::pair<double, double>> pts;  // (size, ms), sizes ascending
  static LlmProfile parse(const sim::Params& p, const std::string& key);
  sim::Tick at(double x) const;
};

// `p` followed by the model's parameters (layers, kernels_per_layer, prefill_ms, decode_ms),
// declared once here.
sim::ParamList with_llm_profile(sim::ParamList p);

}  // namespace models
