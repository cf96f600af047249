#include "models/drm/collective.h"

#include <algorithm>
#include <memory>

#include "models/drm/cluster.h"
#include "sim/error.h"

namespace models {

namespace {

// One transfer of a step: `bytes` of payload along `path`, sent by rank `by` (-1: by the
// switch, counted for no rank); `remote` when it leaves the machine.
struct Transfer {
  int by;
  double bytes;
  std::vector<LinkId> path;
  bool remote = false;
};
struct Step {
  std::vector<Transfer> transfers;
  Tick extra = 0;  // software cost beyond one hop (tree levels)
};

// A stage is a list of steps that one chunk of the buffer goes through; stages form a
// pipeline: a stage takes chunk k once it has finished chunk k-1 and the stage before it has
// finished chunk k (NCCL pipelines a collective's steps chunk by chunk).
struct Stage {
  std::vector<Step> steps;
  bool inter = false;
  std::size_t next = 0;
  int in_flight = 0, done = 0;
  bool busy = false;
};

struct Run {
  sim::Simulator* sim;
  Machine* m;
  std::vector<Stage> stages;
  int chunks = 1;
  int active[2] = {0, 0};  // busy stages inside the machine, between machines
  Tick since[2] = {0, 0};  // when the count above last became non-zero
  Tick hop_cost, start;
  double efficiency = 1;
  ProxyGate gate;
  std::vector<double> sent, nic_sent;
  CollectiveStats st;
  std::function<void(const CollectiveStats&)> done;
};

void run_step(const std::shared_ptr<Run>& r, std::size_t p);

void try_start(const std::shared_ptr<Run>& r, std::size_t p) {
  Stage& s = r->stages[p];
  if (s.busy || s.done == r->chunks || (p > 0 && r->stages[p - 1].done <= s.done)) return;
  s.busy = true;
  s.next = 0;
  if (r->active[s.inter]++ == 0) r->since[s.inter] = r->sim->now();
  run_step(r, p);
}

void finish(const std::shared_ptr<Run>& r) {
  r->st.time = r->sim->now() - r->start;
  for (std::size_t i = 0; i < r->sent.size(); ++i) {
    r->st.bytes_per_rank = std::max(r->st.bytes_per_rank, r->sent[i]);
    r->st.nic_bytes_per_rank = std::max(r->st.nic_bytes_per_rank, r->nic_sent[i]);
  }
  r->done(r->st);
}

void run_step(const std::shared_ptr<Run>& r, std::size_t p) {
  Stage& stage = r->stages[p];
  if (stage.next == stage.steps.size()) {
    // This chunk has gone through the stage.
    if (--r->active[stage.inter] == 0)
      (stage.inter ? r->st.inter_time : r->st.intra_time) += r->sim->now() - r->since[stage.inter];
    stage.busy = false;
    ++stage.done;
    if (p + 1 == r->stages.size() && stage.done == r->chunks) {
      finish(r);
      return;
    }
    try_start(r, p);
    if (p + 1 < r->stages.size()) try_start(r, p + 1);
    return;
  }
  const Step& s = stage.steps[stage.next++];
  const Tick after = r->hop_cost + s.extra;
  if (s.transfers.empty()) {
    r->sim->call_after(after, [r, p] { run_step(r, p); });
    return;
  }
  stage.in_flight = static_cast<int>(s.transfers.size());
  for (const Transfer& t : s.transfers) {
    if (t.by >= 0) {
      r->sent[static_cast<std::size_t>(t.by)] += t.bytes;
      if (t.remote) r->nic_sent[static_cast<std::size_t>(t.by)] += t.bytes;
    }
    auto go = [r, p, after, path = t.path, bytes = t.bytes / r->efficiency]() mutable {
      sim::FlowNetwork::Spec f;
      f.path = std::move(path);
      f.bytes = bytes;
      f.on_done = [r, p, after] {
        if (--r->stages[p].in_flight == 0) r->sim->call_after(after, [r, p] { run_step(r, p); });
      };
      r->m->flows().start(std::move(f));
    };
    // A send to another machine is posted by the rank's proxy thread once it runs.
    if (t.remote && r->gate)
      r->gate(t.by, std::move(go));
    else
      go();
  }
}

// Starts a run whose stages are built; no stage at all (one rank) ends after nothing.
void launch(const std::shared_ptr<Run>& r) {
  std::vector<Stage> kept;
  for (Stage& s : r->stages)
    if (!s.steps.empty()) kept.push_back(std::move(s));
  r->stages = std::move(kept);
  if (r->stages.empty()) {
    finish(r);
    return;
  }
  try_start(r, 0);
}

// Builds steps over `ranks` (graph vertices).
struct Builder {
  Machine& m;
  const std::vector<VertexId>& ranks;
  std::vector<Step>* steps;

  int n() const { return static_cast<int>(ranks.size()); }
  Transfer p2p(int from, int to, double bytes) const {
    return {from, bytes,
            m.graph().route(ranks[static_cast<std::size_t>(from)],
                            ranks[static_cast<std::size_t>(to)])};
  }
  void ring(int count, double part) {
    for (int s = 0; s < count; ++s) {
      Step st;
      for (int i = 0; i < n(); ++i) st.transfers.push_back(p2p(i, (i + 1) % n(), part));
      steps->push_back(std::move(st));
    }
  }
  // One step through a reducing switch: every rank sends `up` bytes and receives `down`.
  void through_switch(VertexId sw, double up, double down) {
    Step st;
    for (int i = 0; i < n(); ++i) {
      const VertexId v = ranks[static_cast<std::size_t>(i)];
      st.transfers.push_back({i, up, m.graph().route(v, sw)});
      st.transfers.push_back({-1, down, m.graph().route(sw, v)});
    }
    steps->push_back(std::move(st));
  }
  void all_to_all(double part) {
    Step st;
    for (int i = 0; i < n(); ++i)
      for (int j = 0; j < n(); ++j)
        if (i != j) st.transfers.push_back(p2p(i, j, part));
    steps->push_back(std::move(st));
  }
};

// Depth of a binary tree over n members in heap layout (root at 0).
int heap_depth(int n) {
  int depth = 0;
  for (int i = 1; i < n; ++i) {
    int d = 0;
    for (int k = i; k > 0; k = (k - 1) / 2) ++d;
    depth = std::max(depth, d);
  }
  return depth;
}

// Up (children to parents) and down steps of a binary tree over ranks in `order`.
void tree_edges(const Builder& b, const std::vector<int>& order, double bytes, Step& up,
                Step& down) {
  const int n = static_cast<int>(order.size());
  for (int i = 1; i < n; ++i) {
    const int child = order[static_cast<std::size_t>(i)];
    const int parent = order[static_cast<std::size_t>((i - 1) / 2)];
    up.transfers.push_back(b.p2p(child, parent, bytes));
    down.transfers.push_back(b.p2p(parent, child, bytes));
  }
}

std::shared_ptr<Run> new_run(sim::Simulator& sim, Machine& m, std::size_t n, Tick hop_cost,
                             double efficiency, std::function<void(const CollectiveStats&)> done) {
  if (!(efficiency > 0 && efficiency <= 1))
    throw sim::InternalError("collective protocol efficiency outside (0, 1]");
  auto r = std::make_shared<Run>();
  r->sim = &sim;
  r->m = &m;
  r->hop_cost = hop_cost;
  r->start = sim.now();
  r->efficiency = efficiency;
  r->sent.assign(n, 0);
  r->nic_sent.assign(n, 0);
  r->done = std::move(done);
  return r;
}

}  // namespace

double busbw_factor(CollectiveOp op, int ranks) {
  const double n = ranks;
  if (ranks < 2) return 0;
  return op == CollectiveOp::AllReduce ? 2 * (n - 1) / n : (n - 1) / n;
}

double protocol_efficiency(const std::string& protocol) {
  if (protocol == "ll") return 0.5;             // 4-byte flag with every 4 bytes of data
  if (protocol == "ll128") return 120.0 / 128;  // 8-byte flag in every 128-byte line
  return 1.0;                                   // simple: payload only, flags per chunk
}

std::optional<VertexId> reducing_switch(const Machine& m, const std::vector<VertexId>& ranks) {
  const MachineGraph& g = m.graph();
  for (const sim::Params& s : m.section_list("nvswitches")) {
    if (!s.b("reduction")) continue;
    const VertexId sw = *g.find(s.s("name"));
    bool all = !ranks.empty();
    for (VertexId r : ranks) {
      bool linked = false;
      for (const GraphLink& l : g.links())
        linked = linked || (l.a == r && l.b == sw) || (l.a == sw && l.b == r);
      all = all && linked;
    }
    if (all) return sw;
  }
  return std::nullopt;
}

void run_collective(sim::Simulator& sim, Machine& m, CollectiveOp op, CollectiveAlgo algo,
                    std::vector<VertexId> ranks, double bytes, Tick hop_cost,
                    std::function<void(const CollectiveStats&)> done, double efficiency) {
  auto r = new_run(sim, m, ranks.size(), hop_cost, efficiency, std::move(done));
  r->stages.resize(1);
  Builder b{m, ranks, &r->stages[0].steps};
  const int n = b.n();
  const double part = n > 0 ? bytes / n : 0;
  if (n > 1) {
    if (op == CollectiveOp::AllToAll) {
      b.all_to_all(part);
    } else if (op == CollectiveOp::AllReduce && algo == CollectiveAlgo::Nvls) {
      auto sw = reducing_switch(m, ranks);
      if (!sw) throw sim::InternalError("nvls without a reducing NVSwitch linked to every rank");
      b.through_switch(*sw, bytes, bytes);
    } else if (op == CollectiveOp::AllReduce && algo == CollectiveAlgo::Tree) {
      // Two complementary trees, each with half the buffer: the second one's order reversed,
      // so a rank that is a leaf in one is inside the other.
      std::vector<int> a(static_cast<std::size_t>(n)), rev;
      for (int i = 0; i < n; ++i) a[static_cast<std::size_t>(i)] = i;
      rev.assign(a.rbegin(), a.rend());
      Step up, down;
      tree_edges(b, a, bytes / 2, up, down);
      tree_edges(b, rev, bytes / 2, up, down);
      up.extra = down.extra = static_cast<Tick>(heap_depth(n) - 1) * hop_cost;
      b.steps->push_back(std::move(up));
      b.steps->push_back(std::move(down));
    } else if (op == CollectiveOp::AllReduce) {
      b.ring(2 * (n - 1), part);
    } else {
      b.ring(n - 1, part);
    }
  }
  launch(r);
}

void run_hierarchical(sim::Simulator& sim, Machine& m, const Cluster& cluster, CollectiveAlgo intra,
                      CollectiveAlgo inter, std::vector<VertexId> ranks, double bytes,
                      Tick hop_cost, double efficiency,
                      std::function<void(const CollectiveStats&)> done, HierPart part, int chunks,
                      ProxyGate gate) {
  if (chunks < 1) throw sim::InternalError("hierarchical collective with no chunk");
  auto r = new_run(sim, m, ranks.size(), hop_cost, efficiency, std::move(done));
  r->gate = std::move(gate);
  r->chunks = chunks;
  r->stages.resize(3);  // ReduceScatter inside, AllReduce between machines, AllGather inside
  r->stages[1].inter = true;
  Builder b{m, ranks, nullptr};
  const int g = b.n(), nodes = cluster.nodes;
  bytes /= chunks;  // the stages' steps carry one chunk
  const double shard = g > 0 ? bytes / g : 0;
  std::optional<VertexId> sw;
  if (intra == CollectiveAlgo::Nvls && g > 1) {
    sw = reducing_switch(m, ranks);
    if (!sw) throw sim::InternalError("nvls without a reducing NVSwitch linked to every rank");
  }
  auto inside = [&](bool scatter) {
    b.steps = &r->stages[scatter ? 0 : 2].steps;
    if (g < 2 || part == HierPart::Inter) return;
    if (sw)
      b.through_switch(*sw, scatter ? bytes : shard, scatter ? shard : bytes);
    else
      b.ring(g - 1, shard);
  };
  inside(true);
  b.steps = &r->stages[1].steps;
  if (nodes > 1 && part != HierPart::Intra) {
    // Every rank's shard goes to the same rank of other machines: out through its NIC, and
    // (the cluster being symmetric) the mirror flow in through it.
    auto remote_step = [&](double each, Tick extra) {
      Step st;
      st.extra = extra;
      for (int i = 0; i < g; ++i) {
        Transfer t{i, each, cluster.remote_path(m, ranks[static_cast<std::size_t>(i)]), true};
        st.transfers.push_back(std::move(t));
      }
      b.steps->push_back(std::move(st));
    };
    if (inter == CollectiveAlgo::Tree) {
      // Double binary tree over the machines: each is inside one tree and a leaf of the
      // other, so it sends and receives the whole shard going up and again coming down; the
      // levels below the first add a hop's software cost and the fabric crossing.
      Tick crossing = 0;
      if (g > 0)
        for (LinkId l : cluster.remote_path(m, ranks[0])) crossing += m.flows().latency(l);
      const Tick extra = static_cast<Tick>(heap_depth(nodes) - 1) * (hop_cost + crossing);
      remote_step(shard, extra);
      remote_step(shard, extra);
    } else {
      for (int s = 0; s < 2 * (nodes - 1); ++s) remote_step(shard / nodes, 0);
    }
  }
  inside(false);
  // Every step is a stage of the pipeline: chunk k takes a step once chunk k-1 has left it and
  // chunk k has finished the step before (NCCL's slices flowing through a ring's steps).
  std::vector<Stage> per_step;
  for (Stage& st : r->stages)
    for (Step& step : st.steps) {
      per_step.emplace_back();
      per_step.back().inter = st.inter;
      per_step.back().steps.push_back(std::move(step));
    }
  r->stages = std::move(per_step);
  launch(r);
}

}  // namespace models
