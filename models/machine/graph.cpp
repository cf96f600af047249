#include "models/machine/graph.h"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <boost/graph/filtered_graph.hpp>
#include <limits>

#include "sim/error.h"
#include "sim/json.h"
#include "sim/units.h"

namespace models {

const char* node_kind_name(NodeKind k) {
  switch (k) {
    case NodeKind::Socket:
      return "socket";
    case NodeKind::IoDie:
      return "iod";
    case NodeKind::Ccd:
      return "ccd";
    case NodeKind::Ccx:
      return "ccx";
    case NodeKind::Core:
      return "core";
    case NodeKind::Memory:
      return "memory";
    case NodeKind::Device:
      return "device";
    case NodeKind::Switch:
      return "switch";
  }
  return "?";
}

VertexId MachineGraph::add_node(GraphNode n) {
  if (by_name_.count(n.name)) throw sim::InternalError("machine graph: node " + n.name + " twice");
  auto v = static_cast<VertexId>(nodes_.size());
  by_name_[n.name] = v;
  nodes_.push_back(std::move(n));
  forget_routes();
  return v;
}

void MachineGraph::add_link(VertexId a, VertexId b, std::string kind, double bw_ab, double bw_ba,
                            Tick latency, const std::string& name_ab, const std::string& name_ba) {
  GraphLink l{a, b, std::move(kind), std::nullopt, std::nullopt, latency, false};
  if (bw_ab > 0) l.ab = flows_.add_link(name_ab, bw_ab, latency);
  if (bw_ba > 0) l.ba = flows_.add_link(name_ba, bw_ba, latency);
  links_.push_back(std::move(l));
  forget_routes();
}

void MachineGraph::add_shared_link(VertexId a, VertexId b, std::string kind, double bw,
                                   Tick latency, const std::string& name) {
  GraphLink l{a, b, std::move(kind), std::nullopt, std::nullopt, latency, true};
  if (bw > 0) l.ab = l.ba = flows_.add_link(name, bw, latency);
  links_.push_back(std::move(l));
  forget_routes();
}

void MachineGraph::add_wire(VertexId a, VertexId b, std::string kind) {
  links_.push_back({a, b, std::move(kind), std::nullopt, std::nullopt, 0, false});
  forget_routes();
}

std::optional<VertexId> MachineGraph::find(const std::string& name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

namespace {

struct Hop {
  std::uint32_t link;  // index into links_
  bool forward;        // a -> b
  double weight;       // latency in ps, plus one per hop so that ties go to fewer hops
};
using BGraph =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, boost::no_property, Hop>;
using BEdge = boost::graph_traits<BGraph>::edge_descriptor;

// Only the source and transit vertices forward traffic, and an end device only into what it
// contains (a GPU into its own HBM): a route never runs through a memory node, a core or a
// device on its way elsewhere.
struct TransitOnly {
  const BGraph* g = nullptr;
  const std::vector<GraphNode>* nodes = nullptr;
  VertexId source = 0;
  bool operator()(const BEdge& e) const {
    auto u = static_cast<VertexId>(boost::source(e, *g));
    auto v = static_cast<VertexId>(boost::target(e, *g));
    return u == source || (*nodes)[u].transit || (*nodes)[v].parent == static_cast<int>(u);
  }
};

}  // namespace

const MachineGraph::Route& MachineGraph::solve(VertexId from, VertexId to) const {
  if (from >= nodes_.size() || to >= nodes_.size())
    throw sim::InternalError("machine graph: route between unknown vertices");
  const std::uint64_t key = (static_cast<std::uint64_t>(from) << 32) | to;
  auto it = routes_.find(key);
  if (it != routes_.end()) return it->second;

  BGraph g(nodes_.size());
  for (std::uint32_t i = 0; i < links_.size(); ++i) {
    const GraphLink& l = links_[i];
    const double w = static_cast<double>(l.latency) + 1.0;
    boost::add_edge(l.a, l.b, Hop{i, true, w}, g);
    boost::add_edge(l.b, l.a, Hop{i, false, w}, g);
  }
  TransitOnly keep{&g, &nodes_, from};
  boost::filtered_graph<BGraph, TransitOnly> fg(g, keep);
  const std::size_t n = nodes_.size();
  std::vector<double> dist(n, std::numeric_limits<double>::infinity());
  std::vector<VertexId> pred(n);
  for (std::size_t v = 0; v < n; ++v) pred[v] = static_cast<VertexId>(v);
  boost::dijkstra_shortest_paths(fg, from,
                                 boost::weight_map(boost::get(&Hop::weight, g))
                                     .distance_map(boost::make_iterator_property_map(
                                         dist.begin(), boost::get(boost::vertex_index, g)))
                                     .predecessor_map(boost::make_iterator_property_map(
                                         pred.begin(), boost::get(boost::vertex_index, g)))
                                     .distance_inf(std::numeric_limits<double>::infinity()));

  // Every target from this source at once: the graph is small and routes are reused.
  for (VertexId t = 0; t < n; ++t) {
    Route r;
    r.ok = t == from || dist[t] < std::numeric_limits<double>::infinity();
    if (r.ok) {
      std::vector<std::pair<std::uint32_t, bool>> hops;
      for (VertexId v = t; v != from; v = pred[v]) {
        VertexId u = pred[v];
        // The hop u -> v that Dijkstra relaxed (parallel links: the first declared).
        std::pair<std::uint32_t, bool> best{0, true};
        bool found = false;
        for (auto [e, end] = boost::out_edges(u, g); e != end && !found; ++e) {
          const Hop& h = g[*e];
          if (boost::target(*e, g) != v || dist[u] + h.weight != dist[v]) continue;
          best = {h.link, h.forward};
          found = true;
        }
        if (!found) throw sim::InternalError("machine graph: broken predecessor chain");
        hops.push_back(best);
      }
      const GraphNode& src = nodes_[from];
      const GraphNode& dst = nodes_[t];
      if (src.media) {
        r.links.push_back(*src.media);
        r.latency += flows_.latency(*src.media);
      }
      for (auto h = hops.rbegin(); h != hops.rend(); ++h) {
        const GraphLink& l = links_[h->first];
        const auto& dir = h->second ? l.ab : l.ba;
        if (dir) r.links.push_back(*dir);
        r.latency += l.latency;
      }
      if (dst.media && t != from) {
        r.links.push_back(*dst.media);
        r.latency += flows_.latency(*dst.media);
      }
    }
    routes_[(static_cast<std::uint64_t>(from) << 32) | t] = std::move(r);
  }
  return routes_.at(key);
}

const MachineGraph::Route& MachineGraph::existing(VertexId from, VertexId to) const {
  const Route& r = solve(from, to);
  if (!r.ok)
    throw sim::InternalError("machine graph: no route from " + nodes_[from].name + " to " +
                             nodes_[to].name);
  return r;
}

const std::vector<LinkId>& MachineGraph::route(VertexId from, VertexId to) const {
  return existing(from, to).links;
}

const std::vector<LinkId>& MachineGraph::route_via(VertexId from, VertexId via, VertexId to) const {
  const auto key = std::make_pair((static_cast<std::uint64_t>(from) << 32) | to, via);
  auto it = via_routes_.find(key);
  if (it != via_routes_.end()) return it->second;
  std::vector<LinkId> p = route(from, via);
  const std::vector<LinkId>& out = route(via, to);
  p.insert(p.end(), out.begin(), out.end());
  return via_routes_.emplace(key, std::move(p)).first->second;
}

void MachineGraph::forget_routes() {
  routes_.clear();
  via_routes_.clear();
}

Tick MachineGraph::route_latency(VertexId from, VertexId to) const {
  return existing(from, to).latency;
}

bool MachineGraph::reachable(VertexId from, VertexId to) const { return solve(from, to).ok; }

double MachineGraph::link_bw(const std::optional<LinkId>& l) const {
  return l ? flows_.capacity(*l) : 0.0;
}

void MachineGraph::write_dot(std::ostream& os, const std::string& name) const {
  os << "graph \"" << name << "\" {\n  node [shape=box];\n";
  for (VertexId v = 0; v < nodes_.size(); ++v) {
    const GraphNode& n = nodes_[v];
    if (n.kind == NodeKind::Core) continue;  // hundreds of boxes: the CCX stands for them
    os << "  \"" << n.name << "\" [label=\"" << n.name << "\\n"
       << (n.detail.empty() ? node_kind_name(n.kind) : n.detail) << "\"";
    if (n.kind == NodeKind::Memory) os << " shape=cylinder";
    if (n.kind == NodeKind::Socket) os << " shape=ellipse";
    os << "];\n";
  }
  for (const GraphLink& l : links_) {
    if (nodes_[l.a].kind == NodeKind::Core || nodes_[l.b].kind == NodeKind::Core) continue;
    os << "  \"" << nodes_[l.a].name << "\" -- \"" << nodes_[l.b].name << "\" [label=\"" << l.kind;
    if (l.ab || l.ba) {
      os << "\\n" << sim::format_bandwidth(link_bw(l.ab));
      if (!l.shared) os << " / " << sim::format_bandwidth(link_bw(l.ba));
    }
    if (l.latency) os << "\\n" << sim::format_time(l.latency);
    os << "\"];\n";
  }
  for (VertexId v = 0; v < nodes_.size(); ++v) {
    const GraphNode& n = nodes_[v];
    if (n.parent >= 0 && n.kind != NodeKind::Core)
      os << "  \"" << nodes_[n.parent].name << "\" -- \"" << n.name << "\" [style=dotted];\n";
  }
  os << "}\n";
}

void MachineGraph::write_json(std::ostream& os) const {
  sim::Json doc = sim::Json::object();
  sim::Json nodes = sim::Json::array();
  for (const GraphNode& n : nodes_) {
    sim::Json j = {{"name", n.name}, {"kind", node_kind_name(n.kind)}};
    if (!n.detail.empty()) j["detail"] = n.detail;
    if (n.socket >= 0) j["socket"] = n.socket;
    if (n.parent >= 0) j["parent"] = nodes_[n.parent].name;
    if (n.media) {
      j["bandwidth_Bps"] = flows_.capacity(*n.media);
      j["latency_ps"] = flows_.latency(*n.media);
    }
    nodes.push_back(std::move(j));
  }
  sim::Json links = sim::Json::array();
  for (const GraphLink& l : links_) {
    sim::Json j = {{"a", nodes_[l.a].name},
                   {"b", nodes_[l.b].name},
                   {"kind", l.kind},
                   {"latency_ps", l.latency},
                   {"shared", l.shared}};
    if (l.ab) j["bw_ab_Bps"] = link_bw(l.ab);
    if (l.ba) j["bw_ba_Bps"] = link_bw(l.ba);
    links.push_back(std::move(j));
  }
  doc["nodes"] = std::move(nodes);
  doc["links"] = std::move(links);
  os << doc.dump(1) << "\n";
}

}  // namespace models
