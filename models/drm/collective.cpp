#include "models/drm/collective.h"

#include <algorithm>
#include <memory>

namespace models {

namespace {

struct Transfer {
  int from, to;
  double bytes;
};
struct Step {
  std::vector<Transfer> transfers;
  Tick extra = 0;  // software cost beyond one hop (tree levels)
};

struct Run {
  sim::Simulator* sim;
  Machine* m;
  std::vector<VertexId> ranks;
  std::vector<Step> steps;
  std::size_t next = 0;
  int in_flight = 0;
  Tick hop_cost, start;
  std::vector<double> sent;
  std::function<void(const CollectiveStats&)> done;
};

void run_step(const std::shared_ptr<Run>& r) {
  if (r->next == r->steps.size()) {
    CollectiveStats st;
    st.time = r->sim->now() - r->start;
    st.bytes_per_rank = r->sent.empty() ? 0 : *std::max_element(r->sent.begin(), r->sent.end());
    r->done(st);
    return;
  }
  const Step& s = r->steps[r->next++];
  const Tick after = r->hop_cost + s.extra;
  if (s.transfers.empty()) {
    r->sim->call_after(after, [r] { run_step(r); });
    return;
  }
  r->in_flight = static_cast<int>(s.transfers.size());
  for (const Transfer& t : s.transfers) {
    r->sent[static_cast<std::size_t>(t.from)] += t.bytes;
    sim::FlowNetwork::Spec f;
    f.path = r->m->graph().route(r->ranks[static_cast<std::size_t>(t.from)],
                                 r->ranks[static_cast<std::size_t>(t.to)]);
    f.bytes = t.bytes;
    f.on_done = [r, after] {
      if (--r->in_flight == 0) r->sim->call_after(after, [r] { run_step(r); });
    };
    r->m->flows().start(std::move(f));
  }
}

// Parent of rank i in a binary tree over ranks in `order` (heap layout), -1 for the root.
void tree_edges(const std::vector<int>& order, double bytes, Step& up, Step& down, int& depth) {
  const int n = static_cast<int>(order.size());
  depth = 0;
  for (int i = 1; i < n; ++i) {
    const int parent = (i - 1) / 2;
    up.transfers.push_back(
        {order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(parent)], bytes});
    down.transfers.push_back(
        {order[static_cast<std::size_t>(parent)], order[static_cast<std::size_t>(i)], bytes});
    int d = 0;
    for (int k = i; k > 0; k = (k - 1) / 2) ++d;
    depth = std::max(depth, d);
  }
}

}  // namespace

double busbw_factor(CollectiveOp op, int ranks) {
  const double n = ranks;
  if (ranks < 2) return 0;
  return op == CollectiveOp::AllReduce ? 2 * (n - 1) / n : (n - 1) / n;
}

void run_collective(sim::Simulator& sim, Machine& m, CollectiveOp op, CollectiveAlgo algo,
                    std::vector<VertexId> ranks, double bytes, Tick hop_cost,
                    std::function<void(const CollectiveStats&)> done) {
  auto r = std::make_shared<Run>();
  r->sim = &sim;
  r->m = &m;
  const int n = static_cast<int>(ranks.size());
  r->ranks = std::move(ranks);
  r->hop_cost = hop_cost;
  r->start = sim.now();
  r->sent.assign(static_cast<std::size_t>(n), 0);
  r->done = std::move(done);
  const double part = n > 0 ? bytes / n : 0;
  auto ring_steps = [&](int count) {
    for (int s = 0; s < count; ++s) {
      Step st;
      for (int i = 0; i < n; ++i) st.transfers.push_back({i, (i + 1) % n, part});
      r->steps.push_back(std::move(st));
    }
  };
  if (n > 1) {
    if (op == CollectiveOp::AllToAll) {
      Step st;
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j)
          if (i != j) st.transfers.push_back({i, j, part});
      r->steps.push_back(std::move(st));
    } else if (op == CollectiveOp::AllReduce && algo == CollectiveAlgo::Tree) {
      // Two complementary trees, each with half the buffer: the second one's order reversed,
      // so a rank that is a leaf in one is inside the other.
      std::vector<int> a(static_cast<std::size_t>(n)), b;
      for (int i = 0; i < n; ++i) a[static_cast<std::size_t>(i)] = i;
      b.assign(a.rbegin(), a.rend());
      Step up, down;
      int da = 0, db = 0;
      tree_edges(a, bytes / 2, up, down, da);
      tree_edges(b, bytes / 2, up, down, db);
      const Tick levels = static_cast<Tick>(std::max(da, db) - 1) * hop_cost;
      up.extra = down.extra = levels;
      r->steps.push_back(std::move(up));
      r->steps.push_back(std::move(down));
    } else if (op == CollectiveOp::AllReduce) {
      ring_steps(2 * (n - 1));
    } else {
      ring_steps(n - 1);
    }
  }
  run_step(r);
}

}  // namespace models
