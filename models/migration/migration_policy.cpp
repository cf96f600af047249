#include "models/migration/migration_policy.h"

namespace models {

const std::vector<sim::FieldInfo>& batch_info_fields() {
  static const std::vector<sim::FieldInfo> f = {HETSIM_BATCH_INFO_FIELDS(HETSIM_FIELD_INFO)};
  return f;
}

const std::vector<sim::FieldInfo>& copy_plan_fields() {
  static const std::vector<sim::FieldInfo> f = {HETSIM_COPY_PLAN_FIELDS(HETSIM_FIELD_INFO)};
  return f;
}

const char* placement_name(Placement p) { return p == Placement::Packed ? "packed" : "spread"; }
const char* flush_name(FlushMode f) { return f == FlushMode::PerFolio ? "per_folio" : "per_batch"; }

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

[[maybe_unused]] static const bool kStructs =
    sim::declare_struct("BatchInfo",
                        "what a migration policy's decide() sees about a batch (read-only in "
                        "Python: hetsim.BatchInfo)",
                        batch_info_fields()) &&
    sim::declare_struct("CopyPlan",
                        "a migration policy's answer for one batch (Python: hetsim.CopyPlan)",
                        copy_plan_fields());

}  // namespace models
