// `gang`: a job's phase starts on all its GPUs together or not at all; a set is granted when
// none of its rings is held, in request order (a later request never overtakes an earlier
// one that shares a ring with it).
#include <algorithm>
#include <deque>
#include <set>

#include "models/drm/gang.h"

namespace models {

class CoscheduleGang : public GangPolicy {
 public:
  static constexpr const char* kDoc =
      "gang scheduling: a job's phase runs on all its GPUs together, granted in request order "
      "when none of them is held by another job";
  static const sim::ParamList& params() {
    static const sim::ParamList p;
    return p;
  }
  CoscheduleGang(sim::RunContext& ctx, const sim::Params&) {
    waits_ = &ctx.sim().stats().counter("gang.waits");
  }
  void acquire(const std::vector<int>& rings, std::function<void()> go) override {
    queue_.push_back({rings, std::move(go)});
    if (!grant()) waits_->add();
  }
  bool together() const override { return true; }
  void release(const std::vector<int>& rings) override {
    for (int r : rings) held_.erase(r);
    grant();
  }

 private:
  struct Request {
    std::vector<int> rings;
    std::function<void()> go;
  };
  // Grants every waiting request whose rings are free and that no earlier waiting request
  // sharing a ring precedes; true if the newest request was granted.
  bool grant() {
    std::set<int> blocked;  // rings an earlier waiting request needs
    bool last = false;
    std::vector<std::function<void()>> go;
    for (auto it = queue_.begin(); it != queue_.end();) {
      const bool free = std::none_of(it->rings.begin(), it->rings.end(),
                                     [&](int r) { return held_.count(r) || blocked.count(r); });
      if (free) {
        held_.insert(it->rings.begin(), it->rings.end());
        go.push_back(std::move(it->go));
        last = std::next(it) == queue_.end();
        it = queue_.erase(it);
      } else {
        blocked.insert(it->rings.begin(), it->rings.end());
        ++it;
      }
    }
    for (auto& g : go) g();
    return last;
  }

  std::deque<Request> queue_;
  std::set<int> held_;
  sim::Counter* waits_;
};

HETSIM_REGISTER(GangPolicy, CoscheduleGang, "gang");

}  // namespace models
