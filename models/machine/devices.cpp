// The machine file's "devices" list: PCIe switches, NVMe drives, NICs and other devices that
// hang off an IO die, a switch or another device through a link of their own. They become
// vertices of the machine graph, so that routes to and between them (peer-to-peer under one
// switch, or bounced through a root port) come from the graph like every other route.
#include <string>

#include "models/machine/machine.h"
#include "sim/units.h"

namespace models {

namespace {

const sim::ParamList& device_params() {
  static const sim::ParamList p = {
      sim::p_string("name", nullptr, "device name, unique in the machine (e.g. nvme0, sw0)"),
      sim::p_choice("kind", "other", {"pcie_switch", "nvme", "nic", "gpu", "accelerator", "other"},
                    "what the device is; a pcie_switch forwards traffic between its links"),
      sim::p_string("attach", nullptr,
                    "the vertex it hangs off: an IO die (\"s0.iod\"), a switch or a device"),
      sim::p_choice("link", "pcie", {"pcie", "cxl", "nvlink", "other"}, "kind of its link"),
      sim::p_int("gen", 5,
                 "pcie: generation (per-lane rate 0.25, 0.5, 0.985, 1.969, 3.938, "
                 "7.563 GB/s per direction for Gen1..6)",
                 1, 6),
      sim::p_int("width", 16, "pcie: lanes", 1, 32),
      sim::p_double("efficiency", 0.91,
                    "pcie: payload share of the link rate (256 B payloads, ~24 B of TLP and "
                    "DLLP overhead per packet; est.)",
                    0.05, 1.0),
      sim::p_bw("bw", "0GB/s", "bandwidth per direction; 0 = from gen and width (pcie only)"),
      sim::p_time("latency", "150ns", "latency of one crossing of the link (est.)"),
  };
  return p;
}

// Bytes/s per lane and direction after line encoding (8b/10b, 128b/130b, FLIT for Gen6).
double pcie_lane_rate(std::int64_t gen) {
  static const double rate[] = {0.25e9, 0.5e9, 0.985e9, 1.969e9, 3.938e9, 7.563e9};
  return rate[gen - 1];
}

void build_devices(Machine& m, const std::vector<sim::Params>& list) {
  MachineGraph& g = m.graph();
  for (const sim::Params& d : list) {
    const std::string& name = d.s("name");
    if (g.find(name))
      d.where("name").fail("a name no other part of the machine has", "\"" + name + "\"");
    auto at = g.find(d.s("attach"));
    if (!at || g.node(*at).kind == NodeKind::Core || g.node(*at).kind == NodeKind::Socket)
      d.where("attach").fail("an IO die (s0.iod ...), a switch or a device listed before it",
                             "\"" + d.s("attach") + "\"");
    double bw = d.bw("bw");
    const std::string link = d.s("link");
    std::string kind = link;
    if (link == "pcie") {
      kind = "pcie-gen" + std::to_string(d.i("gen")) + "-x" + std::to_string(d.i("width"));
      if (bw <= 0)
        bw = pcie_lane_rate(d.i("gen")) * static_cast<double>(d.i("width")) * d.d("efficiency");
    } else if (bw <= 0) {
      d.where("bw").fail("a positive bandwidth for a " + link + " link", "0");
    }
    const bool sw = d.s("kind") == "pcie_switch";
    VertexId v = g.add_node({name, sw ? NodeKind::Switch : NodeKind::Device, d.s("kind"),
                             g.node(*at).socket, static_cast<int>(*at), sw, std::nullopt});
    g.add_link(*at, v, kind, bw, bw, d.time("latency"), name + ".down", name + ".up");
  }
}

[[maybe_unused]] const bool kSection = register_machine_section(
    {"devices", &device_params, true,
     "PCIe switches, NVMe drives, NICs and other devices with their links", &build_devices, 20});

}  // namespace

}  // namespace models
