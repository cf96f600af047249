#include "models/tiering/hotness.h"

#include "sim/json.h"

namespace models {

sim::ParamSpec p_detector(const std::string& def) {
  return sim::p_any("detector", def,
                    "hotness detector: a kind (hint_faults | pebs | damon; `hetsim list "
                    "hotness`) or an object with a \"kind\" and the detector's parameters");
}

std::unique_ptr<HotnessDetector> make_detector(sim::RunContext& ctx, const sim::Params& policy,
                                               bool ranking) {
  const sim::Where w = policy.where("detector");
  const sim::Json& cfg = policy.raw("detector");
  std::string key;
  sim::Json obj = sim::Json::object();
  if (cfg.is_string()) {
    key = cfg.get<std::string>();
  } else if (cfg.is_object() && cfg.contains("kind") && cfg["kind"].is_string()) {
    key = cfg["kind"].get<std::string>();
    obj = cfg;
  } else {
    w.fail("a detector kind or an object with a \"kind\"", sim::describe_value(cfg));
  }
  if (!HotnessDetector::Registry::known(key))
    (cfg.is_string() ? w : w.child("kind"))
        .fail("a registered hotness detector (damon, hint_faults, pebs)", "\"" + key + "\"");
  if (key == "hint_faults") {
    if (ranking)
      w.fail("a detector that ranks folios (pebs | damon): this policy needs access counts",
             "\"hint_faults\"");
    if (obj.size() > 1)
      w.fail("\"hint_faults\" alone: its parameters are the policy's own",
             sim::describe_value(cfg));
    return HotnessDetector::Registry::make(key, ctx, policy);
  }
  for (const sim::ParamSpec& s : hint_fault_params())
    if (policy.given(s.name))
      policy.where(s.name).fail("no hint-fault parameter: the detector is \"" + key + "\"",
                                "a value");
  const sim::Params p =
      sim::Params::parse(obj, HotnessDetector::Registry::params(key), w, {"kind"});
  return HotnessDetector::Registry::make(key, ctx, p);
}

}  // namespace models
