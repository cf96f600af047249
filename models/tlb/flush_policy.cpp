#include "models/tlb/flush_policy.h"

#include <algorithm>

namespace models {

FlushRequest merge_requests(const std::vector<FlushRequest>& reqs) {
  FlushRequest out;
  if (reqs.empty()) return out;
  out = reqs.back();
  out.pages = 0;
  out.ranges.clear();
  out.cpumask.clear();
  out.more = false;
  for (const FlushRequest& r : reqs) {
    out.pages += r.pages;
    out.ranges.insert(out.ranges.end(), r.ranges.begin(), r.ranges.end());
    out.cpumask.insert(out.cpumask.end(), r.cpumask.begin(), r.cpumask.end());
    out.device = out.device || r.device;
  }
  std::sort(out.cpumask.begin(), out.cpumask.end());
  out.cpumask.erase(std::unique(out.cpumask.begin(), out.cpumask.end()), out.cpumask.end());
  return out;
}

}  // namespace models
