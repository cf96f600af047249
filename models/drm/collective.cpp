#include "models/drm/collective.h"

#include <memory>

namespace models {

namespace {

struct RingRun {
  sim::Simulator* sim;
  Machine* m;
  std::vector<VertexId> ranks;
  double chunk;
  Tick hop_cost, start;
  int steps_left, in_flight = 0;
  CollectiveStats st;
  std::function<void(const CollectiveStats&)> done;
};

void ring_step(const std::shared_ptr<RingRun>& r) {
  if (r->steps_left == 0) {
    r->st.time = r->sim->now() - r->start;
    r->done(r->st);
    return;
  }
  --r->steps_left;
  const std::size_t n = r->ranks.size();
  r->in_flight = static_cast<int>(n);
  r->st.bytes_per_rank += r->chunk;
  for (std::size_t i = 0; i < n; ++i) {
    sim::FlowNetwork::Spec s;
    s.path = r->m->graph().route(r->ranks[i], r->ranks[(i + 1) % n]);
    s.bytes = r->chunk;
    s.on_done = [r] {
      if (--r->in_flight > 0) return;
      r->sim->call_after(r->hop_cost, [r] { ring_step(r); });
    };
    r->m->flows().start(std::move(s));
  }
}

}  // namespace

void ring_allreduce(sim::Simulator& sim, Machine& m, std::vector<VertexId> ranks, double bytes,
                    Tick hop_cost, std::function<void(const CollectiveStats&)> done) {
  auto r = std::make_shared<RingRun>();
  r->sim = &sim;
  r->m = &m;
  const int n = static_cast<int>(ranks.size());
  r->ranks = std::move(ranks);
  r->chunk = n > 0 ? bytes / n : 0;
  r->hop_cost = hop_cost;
  r->start = sim.now();
  r->steps_left = n > 1 ? 2 * (n - 1) : 0;
  r->done = std::move(done);
  ring_step(r);
}

}  // namespace models
