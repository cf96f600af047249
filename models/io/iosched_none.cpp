// `none`: no elevator. A request goes straight to its hardware queue; it waits there (FIFO)
// only when the queue has no free driver tag. A new bio can still merge into one of the last
// requests waiting on its queue's list, as blk_bio_list_merge() tries the last 8.
#include <deque>

#include "models/io/iosched.h"

namespace models {

class NoneScheduler final : public IoScheduler {
 public:
  static constexpr const char* kDoc =
      "pass-through: per-hardware-queue FIFO while driver tags are exhausted, merges with the "
      "last 8 waiting requests (blk_bio_list_merge)";
  static const sim::ParamList& params() {
    static const sim::ParamList p = {
        sim::p_time("cost", "0ns", "CPU time per request beyond blk-mq's own (none adds none)"),
    };
    return p;
  }
  NoneScheduler(sim::RunContext&, const sim::Params& p) : cost_(p.time("cost")) {}

  void attach(int hctxs) override { lists_.resize(static_cast<std::size_t>(hctxs)); }
  Tick cost() const override { return cost_; }

  IoRequest* merge(const IoRequest& bio, std::int64_t max_bytes) override {
    auto& l = lists_[static_cast<std::size_t>(bio.hctx)];
    int tried = 0;
    for (auto it = l.rbegin(); it != l.rend() && tried < kMergeTries; ++it, ++tried)
      if (try_merge(**it, bio, max_bytes)) return it->get();
    return nullptr;
  }
  void insert(std::unique_ptr<IoRequest> rq, Tick) override {
    lists_[static_cast<std::size_t>(rq->hctx)].push_back(std::move(rq));
  }
  std::unique_ptr<IoRequest> dispatch(int hctx, Tick) override {
    auto& l = lists_[static_cast<std::size_t>(hctx)];
    if (l.empty()) return nullptr;
    auto rq = std::move(l.front());
    l.pop_front();
    return rq;
  }
  bool has_work(int hctx) const override { return !lists_[static_cast<std::size_t>(hctx)].empty(); }

 private:
  static constexpr int kMergeTries = 8;
  Tick cost_;
  std::vector<std::deque<std::unique_ptr<IoRequest>>> lists_;
};

HETSIM_REGISTER(IoScheduler, NoneScheduler, "none");

}  // namespace models
