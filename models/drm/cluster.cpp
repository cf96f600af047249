// The machine file's "cluster" section: how many machines the cluster has and the NIC fabric
// that joins them. With nodes > 1 its builder adds a NIC per GPU (rail-optimised, as the
// ConnectX-7 beside each H100 of a DGX, under the GPU's own PCIe switch) or one NIC per node,
// and the fabric vertex the NICs link to.
#include "models/drm/cluster.h"

#include <string>

#include "models/machine/devices.h"
#include "sim/error.h"

namespace models {

namespace {

const sim::ParamList& cluster_params() {
  static const sim::ParamList p = {
      sim::p_int("nodes", 1,
                 "machines in the cluster, each the one this file describes (1 = one machine, "
                 "no NIC fabric)",
                 1, 65536),
      sim::p_choice("nics", "per_gpu", {"per_gpu", "per_node"},
                    "per_gpu: a NIC beside each GPU, under the GPU's own PCIe switch or root "
                    "port (rail-optimised, DGX H100: 8 ConnectX-7); per_node: one NIC at "
                    "nic_attach that every GPU shares"),
      sim::p_string("nic_attach", "s0.iod", "per_node: the vertex the NIC hangs off"),
      sim::p_bw("nic_bw", "50GB/s",
                "NIC port bandwidth per direction (vendor: 400 Gb/s NDR InfiniBand = 50 GB/s)"),
      sim::p_double("nic_efficiency", 0.97,
                    "payload share of the port rate after transport headers (4 KiB MTU; est.)",
                    0.05, 1.0),
      sim::p_time("fabric_latency", "2us",
                  "one-way NIC-to-NIC latency of a small RDMA write through the fabric, half "
                  "on each NIC's link (est.: ~1-2 us measured for NDR through one or two "
                  "switch levels)"),
      sim::p_int("nic_gen", 5, "PCIe generation of a NIC's host link (ConnectX-7: Gen5)", 1, 6),
      sim::p_int("nic_width", 16, "PCIe lanes of a NIC's host link", 1, 32),
  };
  return p;
}

bool is_gpu(const GraphNode& n) { return n.kind == NodeKind::Device && n.detail == "gpu"; }

void build_cluster(Machine& m, const std::vector<sim::Params>& list) {
  const sim::Params& c = list.at(0);
  if (c.i("nodes") < 2) return;
  MachineGraph& g = m.graph();
  if (g.find("fabric")) c.where("nodes").fail("a machine without a vertex named fabric", "a clash");
  const double pcie = pcie_link_bw(c.i("nic_gen"), c.i("nic_width"), 0.91);
  const double bw = c.bw("nic_bw") * c.d("nic_efficiency");
  if (bw <= 0) c.where("nic_bw").fail("a positive bandwidth", "0");
  const Tick half = c.time("fabric_latency") / 2;
  const VertexId fabric =
      g.add_node({"fabric", NodeKind::Switch, "nic_fabric", -1, -1, false, std::nullopt});
  auto add_nic = [&](const std::string& name, VertexId at) {
    const VertexId v = g.add_node({name, NodeKind::Device, "nic", g.node(at).socket,
                                   static_cast<int>(at), false, std::nullopt});
    g.add_link(at, v, "pcie-gen" + std::to_string(c.i("nic_gen")), pcie, pcie, 150 * sim::kNs,
               name + ".down", name + ".up");
    g.add_link(v, fabric, "ib", bw, bw, half, name + ".tx", name + ".rx");
  };
  if (c.s("nics") == "per_node") {
    auto at = g.find(c.s("nic_attach"));
    if (!at || !g.node(*at).transit)
      c.where("nic_attach")
          .fail("an IO die or a switch of the machine", "\"" + c.s("nic_attach") + "\"");
    add_nic("nic0", *at);
    return;
  }
  int gpus = 0;
  for (VertexId v = 0; v < g.node_count(); ++v)
    if (is_gpu(g.node(v)) && g.node(v).parent >= 0) {
      add_nic(g.node(v).name + ".nic", static_cast<VertexId>(g.node(v).parent));
      ++gpus;
    }
  if (gpus == 0) c.where("nics").fail("GPUs to put NICs beside (per_gpu)", "a machine without");
}

[[maybe_unused]] const bool kSection = register_machine_section(
    {"cluster", &cluster_params, false,
     "a cluster of identical machines joined by a NIC fabric (hierarchical collectives)",
     &build_cluster, 40});

ClusterNic nic_link(const MachineGraph& g, VertexId nic) {
  for (const GraphLink& l : g.links())
    if (l.a == nic && l.kind == "ib" && l.ab && l.ba) return {nic, *l.ab, *l.ba};
  throw sim::InternalError("cluster NIC without its fabric link");
}

}  // namespace

std::optional<Cluster> machine_cluster(const Machine& m) {
  const sim::Params& c = m.section("cluster");
  if (c.i("nodes") < 2) return std::nullopt;
  const MachineGraph& g = m.graph();
  Cluster out;
  out.nodes = static_cast<int>(c.i("nodes"));
  const bool shared = c.s("nics") == "per_node";
  for (VertexId v = 0; v < g.node_count(); ++v) {
    if (!is_gpu(g.node(v))) continue;
    auto nic = g.find(shared ? std::string("nic0") : g.node(v).name + ".nic");
    if (!nic) throw sim::InternalError("cluster GPU without a NIC");
    out.nics.emplace_back(v, nic_link(g, *nic));
  }
  return out;
}

const ClusterNic& Cluster::nic_of(VertexId gpu) const {
  for (const auto& [v, nic] : nics)
    if (v == gpu) return nic;
  throw sim::InternalError("GPU without a cluster NIC");
}

std::vector<LinkId> Cluster::remote_path(const Machine& m, VertexId gpu) const {
  return nic_remote_path(m, nic_of(gpu), gpu, gpu);
}

std::optional<ClusterNic> find_cluster_nic(const Machine& m, const std::string& name) {
  const MachineGraph& g = m.graph();
  for (VertexId v = 0; v < g.node_count(); ++v) {
    const GraphNode& n = g.node(v);
    if (n.kind != NodeKind::Device || n.detail != "nic") continue;
    if (!name.empty() && n.name != name) continue;
    for (const GraphLink& l : g.links())
      if (l.a == v && l.kind == "ib" && l.ab && l.ba) return ClusterNic{v, *l.ab, *l.ba};
  }
  return std::nullopt;
}

std::vector<LinkId> nic_remote_path(const Machine& m, const ClusterNic& nic, VertexId from,
                                    VertexId to) {
  std::vector<LinkId> p = m.graph().route(from, nic.vertex);
  p.push_back(nic.tx);
  p.push_back(nic.rx);
  const auto& back = m.graph().route(nic.vertex, to);
  p.insert(p.end(), back.begin(), back.end());
  return p;
}

}  // namespace models
