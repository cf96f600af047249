#include "models/tiering/tiered_app.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "models/tiering/kswapd.h"
#include "models/tlb/shootdown.h"

namespace models {

namespace {
constexpr double kLine = 64;  // bytes per access (one cache line)
// The least share of a link the process keeps when copies (flows) would take all of it:
// the flow model does not carry the process's traffic, so the two do not share max-min (est.).
constexpr double kMinShare = 0.5;
}  // namespace

void TieredApp::add_common_params(sim::ParamList& l) {
  const sim::ParamList c = {
      sim::p_int("threads", 8, "threads of the process", 1, 100000),
      sim::p_string("pin", "", "cpulist; thread i runs only on its i-th CPU (wrapping)"),
      sim::p_size("folio", "2MiB", "folio size (2 MiB and 1 GiB folios are PMD/PUD-mapped)"),
      sim::p_string("fast_node", "node0", "node first-touch allocation fills first"),
      sim::p_string("slow_node", "", "node the rest spills to (\"\": none)"),
      sim::p_double("slow_fraction", 0.0,
                    "fraction of the folios placed on slow_node (the tail of the address "
                    "space, as when the fast node fills during first touch)",
                    0, 1),
      sim::p_double("mlp", 10,
                    "line misses each thread keeps in flight (memory-level parallelism; est.)",
                    0.01, 1000),
      sim::p_double("cxl_write_cost", 2.0,
                    "link and media bytes a CXL write-back costs per byte written: CXL "
                    "devices write slower than they read (est.)",
                    1, 10),
      sim::p_time("queue_delay", "20ns",
                  "scale of the loaded-latency curve: delay Q(u) = queue_delay * u / (1 - u) "
                  "on each link of a read's route at utilisation u (est.)"),
      sim::p_time("quantum", "100us", "CPU time between a thread's accounting points"),
      sim::p_int("samples", 16, "accesses per quantum that mark the folios' access state", 0,
                 1000000),
      sim::p_bool("tlb", true,
                  "accesses pay address translation: TLB reach (machine.tlb geometry) of the "
                  "folios' page size, page walks reading leaf entries from page_table_node"),
      sim::p_bool("demotion", false,
                  "demotion_enabled: a per-node kswapd, woken when a node falls under its low "
                  "watermark or refuses a promotion, demotes its least recently used folios to "
                  "the next tier until it is above its high watermark (machine-wide: one "
                  "workload asking turns it on)"),
      sim::p_string("page_table_node", "",
                    "node holding the process's page tables (\"\": fast_node; page-table "
                    "pages follow the allocation policy of the first touch)"),
  };
  l.insert(l.end(), c.begin(), c.end());
}

const sim::ParamList& TieredApp::params() {
  static const sim::ParamList p = [] {
    sim::ParamList l;
    add_common_params(l);
    const sim::ParamList own = {
        sim::p_size("memory", "4GiB", "the process's memory"),
        sim::p_choice("placement", "first_touch", {"first_touch", "hot", "preferred"},
                      "first_touch: the tail of the address space on slow_node; hot: the "
                      "hottest folios (at the pattern's first shift) on fast_node, an oracle's "
                      "static placement; preferred: every folio on fast_node while it stays "
                      "above its watermarks, else on the next node by distance (the kernel's "
                      "zonelist fallback; slow_fraction must be 0)"),
        sim::p_double("write_fraction", 0.33, "fraction of accesses that are writes", 0, 1),
        sim::p_choice("pattern", "uniform", {"uniform", "zipf", "hotset"}, "access pattern"),
        sim::p_double("zipf_s", 0.99, "pattern zipf: exponent", 0, 5),
        sim::p_double("hot_fraction", 0.1, "pattern hotset: fraction of folios that are hot", 1e-9,
                      1),
        sim::p_double("hot_share", 0.9, "pattern hotset: fraction of accesses they take", 0, 1),
        sim::p_time("shift_period", "0ns",
                    "every this much simulated time the popularity ranking rotates (0: never)"),
        sim::p_double("shift_fraction", 0.1, "fraction of the folios the ranking rotates by", 0, 1),
        sim::p_double("accesses", 0, "accesses per thread (0: until the stop time)", 0, 1e15),
        sim::p_double("run_lines", 1,
                      "cache lines read in a row from one page before the next draw (1: "
                      "random lines, as pmbench or GUPS; 0: every line of the page, a stream)",
                      0, 1e9),
    };
    l.insert(l.end(), own.begin(), own.end());
    add_task_params(l, "1MiB");
    return l;
  }();
  return p;
}

TieredApp::Shape TieredApp::shape_of(const sim::Params& p) {
  Shape s;
  s.memory = p.size("memory");
  s.write_fraction = p.d("write_fraction");
  const std::string pat = p.s("pattern");
  s.pattern.kind = pat == "zipf"     ? AccessPattern::Kind::Zipf
                   : pat == "hotset" ? AccessPattern::Kind::HotSet
                                     : AccessPattern::Kind::Uniform;
  s.pattern.zipf_s = p.d("zipf_s");
  s.pattern.hot_fraction = p.d("hot_fraction");
  s.pattern.hot_share = p.d("hot_share");
  s.shift_fraction = p.d("shift_fraction");
  s.hot_placement = p.s("placement") == "hot";
  s.preferred = p.s("placement") == "preferred";
  s.accesses_limit = p.d("accesses");
  s.run_lines = p.d("run_lines");
  return s;
}

TieredApp::TieredApp(sim::RunContext& ctx, const sim::Params& p)
    : TieredApp(ctx, p, "tiered_app", shape_of(p)) {
  shift_period_ = p.time("shift_period");
}

TieredApp::TieredApp(sim::RunContext& ctx, const sim::Params& p, const char* kind,
                     const Shape& shape)
    : SchedWorkload(ctx, p, kind),
      pf_(sched_.platform()),
      threads_(count(p, "threads", 1)),
      folio_(p.size("folio")),
      slow_fraction_(p.d("slow_fraction")),
      mlp_(p.d("mlp")),
      write_fraction_(shape.write_fraction),
      cxl_write_cost_(p.d("cxl_write_cost")),
      queue_ns_(sim::to_ns(p.time("queue_delay"))),
      quantum_(p.time("quantum")),
      shift_period_(0),
      samples_(static_cast<int>(p.i("samples"))),
      accesses_limit_(shape.accesses_limit),
      tlb_on_(p.b("tlb")),
      run_lines_(shape.run_lines) {
  parse_pins(p);
  if (folio_ < kBasePage || (folio_ & (folio_ - 1)) != 0 || folio_ > (1ULL << 30))
    p.where("folio").fail("a power of two from 4KiB to 1GiB", std::to_string(folio_) + " bytes");
  const std::uint64_t mem = shape.memory;
  if (mem < folio_ || mem % folio_ != 0)
    p.where(shape.memory_key)
        .fail("a positive multiple of the folio size", std::to_string(mem) + " bytes");
  folios_ = mem / folio_;
  if (quantum_ == 0) p.where("quantum").fail("a positive time", "0");
  fast_ = pf_.node_by_name(p.s("fast_node"), p.where("fast_node"));
  if (!p.s("slow_node").empty()) {
    slow_ = pf_.node_by_name(p.s("slow_node"), p.where("slow_node"));
    if (slow_ == fast_) p.where("slow_node").fail("a node other than fast_node", p.s("slow_node"));
  } else if (slow_fraction_ > 0) {
    p.where("slow_fraction").fail("0 when no slow_node is named", std::to_string(slow_fraction_));
  }
  // Memory beyond the whole machine is refused before its per-folio state is built (the
  // placement below names the node that overflows when the total fits).
  std::uint64_t machine_bytes = 0;
  for (const MemNode& n : pf_.nodes()) machine_bytes += n.capacity;
  if (mem > machine_bytes)
    p.where(shape.memory_key)
        .fail(
            "memory that fits on the machine's nodes (" + std::to_string(machine_bytes) + " bytes)",
            std::to_string(mem) + " bytes");
  pspec_ = shape.pattern;
  pspec_.shift_step =
      static_cast<std::size_t>(std::llround(shape.shift_fraction * static_cast<double>(folios_)));
  pattern_ = std::make_unique<AccessPattern>(pspec_, folios_, rng_);

  mm_ = &MmRegistry::of(ctx).create(instance_);
  mm_->set_placement_listener([this] { dirty_ = true; });
  // kswapd watches the nodes from the first allocation on.
  if (p.b("demotion")) Kswapd::of(ctx);
  const auto slow_n =
      static_cast<std::uint64_t>(std::llround(slow_fraction_ * static_cast<double>(folios_)));
  const bool huge = huge_mappable(folio_);
  auto no_room = [&](const char* key, const std::string& node, std::uint64_t n) {
    p.where(key).fail("memory that fits on " + node, std::to_string(n * folio_) + " bytes");
  };
  if (shape.preferred) {
    if (slow_fraction_ > 0)
      p.where("slow_fraction").fail("0 with placement preferred", std::to_string(slow_fraction_));
    if (mm_->map_preferred(folios_, folio_, fast_, huge) < 0)
      p.where(shape.memory_key)
          .fail("memory that fits on the machine's nodes above their min watermarks",
                std::to_string(folios_ * folio_) + " bytes");
  } else if (shape.hot_placement) {
    // An oracle's static placement: the hottest folios (at shift 0) on the fast node.
    std::vector<char> on_fast(folios_, 0);
    for (std::uint64_t r = 0; r < folios_ - slow_n; ++r)
      on_fast[pattern_->folio_of_rank(static_cast<std::size_t>(r))] = 1;
    for (std::size_t i = 0; i < folios_; ++i) {
      const int node = on_fast[i] ? fast_ : slow_;
      if (mm_->map(1, folio_, node, huge) < 0)
        no_room(on_fast[i] ? shape.memory_key : "slow_fraction",
                on_fast[i] ? p.s("fast_node") : p.s("slow_node"),
                on_fast[i] ? folios_ - slow_n : slow_n);
    }
  } else {
    // First touch: the address space in order, the fast node first, the tail on the slow node.
    if (folios_ > slow_n && mm_->map(folios_ - slow_n, folio_, fast_, huge) < 0)
      no_room(shape.memory_key, p.s("fast_node"), folios_ - slow_n);
    if (slow_n > 0 && mm_->map(slow_n, folio_, slow_, huge) < 0)
      no_room("slow_fraction", p.s("slow_node"), slow_n);
  }
  pt_node_ = p.s("page_table_node").empty()
                 ? fast_
                 : pf_.node_by_name(p.s("page_table_node"), p.where("page_table_node"));
  node_accesses_.assign(pf_.nodes().size(), 0.0);
  walks_ctr_ = &ctx.sim().stats().counter(instance_ + ".tlb_walks");
  // The TLB model's geometry, taken while the run is built (its service checks its input).
  if (tlb_on_) tlb_geom_ = TlbShootdown::of(ctx).geometry();
  accesses_ = &ctx.sim().stats().counter(instance_ + ".accesses");
  for (const MemNode& n : pf_.nodes()) {
    const std::string pre = instance_ + ".node." + n.name;
    node_acc_.push_back(&ctx.sim().stats().counter(pre + ".accesses"));
    node_ns_.push_back(&ctx.sim().stats().counter(pre + ".access_ns"));
  }
  access_ns_ = &ctx.sim().stats().counter(instance_ + ".access_ns");
  policy_ = ctx.make_policy<TieringPolicy>("tiering", "first_touch");
  TieringHost host;
  host.mm = mm_;
  host.threads = threads_;
  host.pattern = pattern_.get();
  host.access_rate = [this] { return res_.total_rate; };
  host.placement_changed = [this] { dirty_ = true; };
  host.node_latency_ns = [this](int node) {
    resolve();  // for the placement of the moment
    return node_latency(node);
  };
  policy_->attach(host);
}

double TieredApp::node_latency(int node) const {
  double w = 0, sum = 0;
  for (std::size_t t = 0; t < res_.rate.size(); ++t) {
    const double l = res_.node_ns[t][static_cast<std::size_t>(node)];
    if (l <= 0) continue;  // no route solved to it
    w += res_.rate[t];
    sum += res_.rate[t] * l;
  }
  return w > 0 ? sum / w : 0;
}

void TieredApp::start() {
  for (int i = 0; i < threads_; ++i) {
    Thread th;
    th.task = sched_.spawn(thread_spec(i));
    if (static_cast<int>(slot_.size()) <= th.task)
      slot_.resize(static_cast<std::size_t>(th.task) + 1, -1);
    slot_[static_cast<std::size_t>(th.task)] = static_cast<int>(th_.size());
    th_.push_back(th);
  }
  live_ = threads_;
  if (finite()) hold();
}

TierRoute TieredApp::route(int cpu, int node) {
  TierRoute r;
  r.base_ns = sim::to_ns(pf_.access_latency(cpu, node));
  auto servers = [&](const std::vector<LinkId>& links, std::vector<int>& out) {
    for (LinkId l : links) {
      const auto key = static_cast<std::size_t>(l);
      if (server_of_link_.size() <= key) server_of_link_.resize(key + 1, -1);
      if (server_of_link_[key] < 0) {
        server_of_link_[key] = static_cast<int>(server_link_.size());
        server_link_.push_back(l);
        base_cap_.push_back(pf_.flows().capacity(l));
      }
      out.push_back(server_of_link_[key]);
    }
  };
  const VertexId mem = pf_.nodes()[static_cast<std::size_t>(node)].vertex;
  servers(pf_.read_path(cpu, node), r.read);
  servers(pf_.graph().route(pf_.core_vertex(cpu), mem), r.write);
  return r;
}

void TieredApp::update_translation() {
  tlb_dirty_ = false;
  load_.pt_node = pt_node_;
  if (!tlb_on_) return;
  // The footprint's translations and lines, the folios grouped by weight (within 0.1%):
  // every folio has the same size and mapping, so a group is its folios' entries at their
  // mean weight.
  const Folio& f0 = mm_->folio(0);
  const double page = std::ldexp(1.0, f0.page_shift());
  const double entries = static_cast<double>(f0.bytes()) / page;
  const double lines = static_cast<double>(f0.bytes()) / kLine;
  std::map<long, std::pair<double, double>> bins;  // log-weight bin -> (folios, weight)
  for (std::size_t i = 0; i < folios_; ++i) {
    const double w = pattern_->weight(i);
    if (w <= 0) continue;
    auto& b = bins[std::lround(std::log(w) * 1000)];
    b.first += 1;
    b.second += w;
  }
  const TlbGeometry& g = tlb_geom_;
  TlbReachInput in;
  for (const auto& [key, b] : bins) {
    (void)key;
    const double w = b.second / b.first;
    in.pages.push_back({b.first * entries, w / entries});
    in.lines.push_back({b.first * lines, w / lines});
  }
  in.l1_entries = static_cast<double>(g.l1_entries);
  in.l2_entries = static_cast<double>(g.l2_entries);
  in.run = run_lines_ > 0 ? std::min(run_lines_, page / kLine) : page / kLine;
  // One thread's share of its CCX's L3 (est.: the cores of a CCX share it evenly).
  const CpuSpec& cs = pf_.cpu_spec();
  in.cache_lines = static_cast<double>(cs.l3_per_ccx) / std::max(1, cs.cores_per_ccx) / kLine;
  reach_ = tlb_reach(in);
  load_.xlate_ns = reach_.l2_hits * sim::to_ns(g.l2_hit) + reach_.walks * sim::to_ns(g.walk);
  load_.walk_mem = reach_.walk_mem;
}

std::vector<double> TieredApp::flow_loads() const {
  std::vector<double> l(server_link_.size());
  for (std::size_t k = 0; k < l.size(); ++k) l[k] = pf_.flows().link_load(server_link_[k]);
  return l;
}

void TieredApp::resolve() {
  std::vector<int> cpus;
  for (const Thread& th : th_)
    cpus.push_back(th.task >= 0 ? std::max(0, sched_.cpu_of(th.task)) : -1);
  if (!dirty_ && cpus == solved_cpus_ && flow_loads() == solved_flows_) return;
  const std::size_t nodes = pf_.nodes().size();
  if (tlb_dirty_) update_translation();
  load_.queue_delay_ns = queue_ns_;
  load_.mlp = mlp_;
  load_.share.assign(nodes, 0.0);
  for (std::size_t i = 0; i < folios_; ++i)
    load_.share[static_cast<std::size_t>(mm_->folio(i).node)] += pattern_->weight(i);
  load_.read_bytes.assign(nodes, kLine);
  load_.write_bytes.assign(nodes, 0.0);
  for (std::size_t n = 0; n < nodes; ++n)
    load_.write_bytes[n] =
        kLine * write_fraction_ * (pf_.nodes()[n].kind == MemKind::Cxl ? cxl_write_cost_ : 1.0);
  load_.route.clear();
  for (int cpu : cpus) {
    if (cpu < 0) continue;  // exited
    std::vector<TierRoute> per(nodes);
    for (std::size_t n = 0; n < nodes; ++n)
      if (load_.share[n] > 0 || static_cast<int>(n) == fast_ || static_cast<int>(n) == slow_ ||
          static_cast<int>(n) == pt_node_)
        per[n] = route(cpu, static_cast<int>(n));
    load_.route.push_back(std::move(per));
  }
  // What the flows of the machine (copies: migrations, DMA) take on each link now; the
  // process keeps at least kMinShare of a link they would fill.
  solved_flows_ = flow_loads();
  load_.capacity.resize(base_cap_.size());
  for (std::size_t k = 0; k < base_cap_.size(); ++k)
    load_.capacity[k] = std::max(base_cap_[k] - solved_flows_[k], kMinShare * base_cap_[k]);
  res_ = solve_tier_load(load_);
  for (double u : res_.util) max_util_ = std::max(max_util_, u);
  solved_cpus_ = std::move(cpus);
  dirty_ = false;
  ++solves_;
}

void TieredApp::credit(Thread& th, bool policy) {
  // The thread's row in the solve: live threads in order.
  std::size_t row = 0;
  for (const Thread& o : th_) {
    if (&o == &th) break;
    if (o.task >= 0) ++row;
  }
  const Tick cpu = sched_.cpu_time_now(th.task);
  const double dt = sim::to_seconds(cpu - th.cpu_mark);
  th.cpu_mark = cpu;
  double a = 0;
  if (dt > 0 && row < res_.rate.size()) {
    a = res_.rate[row] * dt;
    th.accesses += a;
    th.latency_sum += a * res_.latency_ns[row];
    accesses_->add(a);
    access_ns_->add(a * res_.latency_ns[row]);
    walks_ += a * reach_.walks;
    walks_mem_ += a * reach_.walk_mem;
    xlate_sum_ += a * res_.xlate_ns[row];
    walks_ctr_->add(a * reach_.walks);
    for (std::size_t n = 0; n < node_accesses_.size(); ++n) {
      const double an = a * load_.share[n];
      node_accesses_[n] += an;
      if (an <= 0) continue;
      node_acc_[n]->add(an);
      node_ns_[n]->add(an * (res_.node_ns[row][n] + res_.xlate_ns[row]));
    }
    const auto marks = static_cast<int>(std::min<double>(samples_, std::ceil(a)));
    const Tick now = ctx_.sim().now();
    for (int s = 0; s < marks; ++s) mm_->note_access(pattern_->draw(rng_), now);
    progressed(a);
  }
  if (policy) {
    const int task = th.task, cpu_now = std::max(0, sched_.cpu_of(task));
    th.waiting = policy_->on_quantum(static_cast<int>(&th - th_.data()), cpu_now, a,
                                     [this, task] { sched_.wake(task, -1); });
  }
}

Action TieredApp::next(int t) {
  Thread& th = th_[static_cast<std::size_t>(slot_[static_cast<std::size_t>(t)])];
  credit(th, true);
  if (th.waiting) return Action::block();  // kernel work in its context (resume wakes it)
  if ((accesses_limit_ > 0 && th.accesses >= accesses_limit_) || work_done()) {
    th.task = -1;
    dirty_ = true;
    if (--live_ == 0) done();
    return Action::exit();
  }
  if (shift_period_ > 0) {
    const std::uint64_t k = ctx_.sim().now() / shift_period_;
    if (k != pattern_->shift()) {
      pattern_->set_shift(k);
      dirty_ = true;
    }
  }
  resolve();
  return Action::run(quantum_);
}

void TieredApp::switched(int t, int cpu, bool on) {
  (void)t;
  if (on) MmRegistry::of(ctx_).set_loaded(cpu, mm_->id());
}

void TieredApp::finish() {
  double acc = 0, lat = 0;
  for (Thread& th : th_) {
    if (th.task >= 0) credit(th, false);
    acc += th.accesses;
    lat += th.latency_sum;
  }
  policy_->finish();
  auto& st = ctx_.sim().stats();
  const double el = sim::to_seconds(elapsed());
  st.set_metric(instance_ + ".access_rate", el > 0 ? acc / el : 0);
  st.set_metric(instance_ + ".bandwidth_gbps",
                el > 0 ? acc * kLine * (1 + write_fraction_) / el / 1e9 : 0);
  st.set_metric(instance_ + ".mean_latency_ns", acc > 0 ? lat / acc : 0);
  st.set_metric(instance_ + ".max_util", max_util_);
  st.set_metric(instance_ + ".solves", static_cast<double>(solves_));
  st.set_metric(instance_ + ".tlb_miss_rate", acc > 0 ? walks_ / acc : 0);
  st.set_metric(instance_ + ".walk_memory_fraction", walks_ > 0 ? walks_mem_ / walks_ : 0);
  st.set_metric(instance_ + ".translation_ns", acc > 0 ? xlate_sum_ / acc : 0);
  st.set_metric(instance_ + ".tlb_footprint", reach_.entries);
  extra_metrics(acc, el);
  // The same threads on the same CPUs with every access on the fast node (none when the run
  // ended before the threads started: a zero-length run, as `hetsim check` makes).
  double ref = 0;
  if (!load_.share.empty()) {
    TierLoad all_fast = load_;
    std::fill(all_fast.share.begin(), all_fast.share.end(), 0.0);
    all_fast.share[static_cast<std::size_t>(fast_)] = 1;
    all_fast.route.clear();
    for (int cpu : solved_cpus_) {
      if (cpu < 0) continue;
      std::vector<TierRoute> per(pf_.nodes().size());
      per[static_cast<std::size_t>(fast_)] = route(cpu, fast_);
      if (pt_node_ != fast_) per[static_cast<std::size_t>(pt_node_)] = route(cpu, pt_node_);
      all_fast.route.push_back(std::move(per));
    }
    all_fast.capacity = base_cap_;  // route() may have added servers; no copies running
    if (!all_fast.route.empty()) ref = solve_tier_load(all_fast).total_rate;
  }
  st.set_metric(instance_ + ".slowdown",
                ref > 0 && res_.total_rate > 0 ? ref / res_.total_rate : 0);
  // The last solve's translation part, rate-weighted over the threads.
  double xlate_now = 0, rate_sum = 0;
  for (std::size_t t = 0; t < res_.rate.size(); ++t) {
    xlate_now += res_.rate[t] * res_.xlate_ns[t];
    rate_sum += res_.rate[t];
  }
  xlate_now = rate_sum > 0 ? xlate_now / rate_sum : 0;
  for (std::size_t n = 0; n < pf_.nodes().size(); ++n) {
    const std::string pre = instance_ + ".node." + pf_.nodes()[n].name;
    st.set_metric(pre + ".share", acc > 0 ? node_accesses_[n] / acc : 0);
    const double ln = node_latency(static_cast<int>(n));
    st.set_metric(pre + ".latency_ns", ln > 0 ? ln + xlate_now : 0);
    st.set_metric(pre + ".bytes",
                  static_cast<double>(mm_->bytes_on(static_cast<int>(n), 0, mm_->size())));
  }
}

HETSIM_REGISTER(sim::Workload, TieredApp, "tiered_app");

}  // namespace models
