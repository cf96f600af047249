#include "models/migration/migration_policy.h"

namespace models {

const char* agent_name(CopyAgent a) {
  switch (a) {
    case CopyAgent::Cpu:
      return "cpu";
    case CopyAgent::Mt:
      return "mt";
    case CopyAgent::Dma:
      return "dma";
  }
  return "?";
}

sim::ParamList migration_policy_params(sim::ParamList own) {
  sim::ParamList p = {
      sim::p_int("streams", 1,
                 "parallel copy streams: kernel threads (mt), DMA channels (dma), the upper bound "
                 "(adaptive); serial and batch copy on one stream and ignore it",
                 1, 64),
      sim::p_choice(
          "placement", "spread", {"spread", "packed"},
          "copy threads spread across the CCDs of the socket or packed into one CCD first"),
  };
  for (auto& s : own) p.push_back(std::move(s));
  return p;
}

Placement placement_of(const sim::Params& p) {
  return p.s("placement") == "packed" ? Placement::Packed : Placement::Spread;
}

}  // namespace models
