#include "sim/run_context.h"

namespace sim {

RunContext::RunContext(Simulator& sim, Json policies, Where policies_where)
    : sim_(sim), policies_(std::move(policies)), policies_where_(std::move(policies_where)) {
  if (policies_.is_null()) policies_ = Json::object();
  if (!policies_.is_object())
    policies_where_.fail("an object of policy slots", describe_value(policies_));
}

RunContext::~RunContext() {
  // Workloads and owned models refer to the machine: drop them first.
  workloads_.clear();
  while (!owned_.empty()) owned_.pop_back();
  system_.reset();
}

Json RunContext::take_policy(const std::string& slot) {
  taken_.insert(slot);
  return policies_.contains(slot) ? policies_[slot] : Json();
}

std::vector<std::string> RunContext::unused_policy_slots() const {
  std::vector<std::string> out;
  for (auto it = policies_.begin(); it != policies_.end(); ++it)
    if (!taken_.count(it.key())) out.push_back(it.key());
  return out;
}

std::string RunContext::join_keys(const std::string& kind) {
  std::string out;
  for (const auto& k : Catalog::get().keys(kind)) out += (out.empty() ? "" : ", ") + k;
  return out;
}

void RunContext::release() {
  if (--holds_ == 0) sim_.stop();
}

void RunContext::finish() {
  for (auto& w : workloads_) w->finish();
  for (auto& f : finishers_) f();
}

}  // namespace sim
