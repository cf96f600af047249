#include "models/tlb/flush_policy.h"

#include <algorithm>

namespace models {

void merge_add(FlushRequest& acc, const FlushRequest& r, bool first) {
  if (first) {
    acc.pages = 0;
    acc.ranges.clear();
    acc.cpumask.clear();
    acc.device = false;
  }
  // The last request's initiator, mm and page size.
  acc.initiator = r.initiator;
  acc.mm = r.mm;
  acc.page_shift = r.page_shift;
  acc.more = false;
  acc.pages += r.pages;
  acc.ranges.insert(acc.ranges.end(), r.ranges.begin(), r.ranges.end());
  acc.cpumask.insert(acc.cpumask.end(), r.cpumask.begin(), r.cpumask.end());
  acc.device = acc.device || r.device;
}

void merge_done(FlushRequest& acc) {
  std::sort(acc.cpumask.begin(), acc.cpumask.end());
  acc.cpumask.erase(std::unique(acc.cpumask.begin(), acc.cpumask.end()), acc.cpumask.end());
}

FlushRequest merge_requests(const std::vector<FlushRequest>& reqs) {
  FlushRequest out;
  for (std::size_t i = 0; i < reqs.size(); ++i) merge_add(out, reqs[i], i == 0);
  merge_done(out);
  return out;
}

}  // namespace models
