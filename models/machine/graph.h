#pragma once
// The machine as a graph: sockets, IO dies, CCDs, CCXs and cores, memory nodes, devices and
// switches are vertices; physical links are edges with a bandwidth per direction (or one
// bandwidth that both directions share), a latency and a kind. Every byte a core or a device
// moves follows a route computed on this graph, and each directed hop with a bandwidth is a
// link of the flow model, so that concurrent transfers share it.
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "sim/flow.h"
#include "sim/time.h"

namespace models {

using sim::LinkId;
using sim::Tick;
using VertexId = std::uint32_t;

enum class NodeKind { Socket, IoDie, Ccd, Ccx, Core, Memory, Device, Switch };
const char* node_kind_name(NodeKind k);

struct GraphNode {
  std::string name;  // unique: "s0", "s0.iod", "s0.ccd3", "node2", "ptdma0", "gpu1"
  NodeKind kind;
  std::string detail;    // memory: ddr|cxl|hbm; device: dma|gpu|nic|nvme|...
  int socket = -1;       // the socket it belongs to or hangs off, -1 for none
  int parent = -1;       // containment (core -> CCX -> CCD -> socket), -1 for none
  bool transit = false;  // routes may pass through it (IO dies, CCDs, CCXs, switches)
  // Memory nodes: the media (DRAM channels, HBM stacks) every access to the node crosses,
  // reads and writes alike; its latency is the node's load-to-use latency.
  std::optional<LinkId> media;
};

struct GraphLink {
  VertexId a, b;
  std::string kind;              // "ccd-iod", "xgmi", "cxl", "pcie-gen5-x16", "nvlink", ...
  std::optional<LinkId> ab, ba;  // flow links per direction; none = no bandwidth limit
  Tick latency = 0;              // added once per crossing
  bool shared = false;           // ab == ba: both directions share one capacity
};

class MachineGraph {
 public:
  explicit MachineGraph(sim::FlowNetwork& flows) : flows_(flows) {}

  VertexId add_node(GraphNode n);
  // A link whose two directions have their own bandwidth (0 = unlimited). Flow links are
  // named `name_ab` and `name_ba` and created in that order.
  void add_link(VertexId a, VertexId b, std::string kind, double bw_ab, double bw_ba, Tick latency,
                const std::string& name_ab, const std::string& name_ba);
  // A link whose directions share one capacity (a half-duplex bus, a memory channel).
  void add_shared_link(VertexId a, VertexId b, std::string kind, double bw, Tick latency,
                       const std::string& name);
  // Structure without a bandwidth limit of its own (a core to its CCX).
  void add_wire(VertexId a, VertexId b, std::string kind);

  std::size_t node_count() const { return nodes_.size(); }
  const GraphNode& node(VertexId v) const { return nodes_.at(v); }
  const std::vector<GraphNode>& nodes() const { return nodes_; }
  const std::vector<GraphLink>& links() const { return links_; }
  std::optional<VertexId> find(const std::string& name) const;

  // The flow links crossed from `from` to `to`, in order: the source's media if it is a
  // memory node, every directed hop with a bandwidth, the destination's media. Routes take
  // the least latency, then the fewest hops, and pass only through transit vertices.
  // Throws sim::InternalError if `to` cannot be reached.
  const std::vector<LinkId>& route(VertexId from, VertexId to) const;
  // route(from, via) followed by route(via, to), kept like the routes (a copy by an agent at
  // `via` from one memory node to another).
  const std::vector<LinkId>& route_via(VertexId from, VertexId via, VertexId to) const;
  // Latency along route(from, to): media latencies and link latencies.
  Tick route_latency(VertexId from, VertexId to) const;
  bool reachable(VertexId from, VertexId to) const;

  // Graphviz and JSON forms for tools.
  void write_dot(std::ostream& os, const std::string& name) const;
  void write_json(std::ostream& os) const;

 private:
  struct Route {
    std::vector<LinkId> links;
    Tick latency = 0;
    bool ok = false;
  };
  const Route& solve(VertexId from, VertexId to) const;
  const Route& existing(VertexId from, VertexId to) const;  // solve, or InternalError
  double link_bw(const std::optional<LinkId>& l) const;

  sim::FlowNetwork& flows_;
  std::vector<GraphNode> nodes_;
  std::vector<GraphLink> links_;
  std::map<std::string, VertexId> by_name_;
  void forget_routes();  // the graph changed
  mutable std::map<std::uint64_t, Route> routes_;
  mutable std::map<std::pair<std::uint64_t, VertexId>, std::vector<LinkId>> via_routes_;
};

}  // namespace models
