// The machine file's "devices" list: PCIe switches, NVMe drives, NICs and other devices that
// hang off an IO die, a switch or another device through a link of their own. They become
// vertices of the machine graph, so that routes to and between them (peer-to-peer under one
// switch, or bounced through a root port) come from the graph like every other route.
#include "models/machine/devices.h"

#include <string>

#include "models/machine/machine.h"
#include "sim/error.h"
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
      sim::p_bw("read_bw", "7GB/s",
                "nvme: sequential read bandwidth of the drive's media and controller (vendor "
                "figure: ~7 GB/s for a Gen4 drive, 10-14 GB/s for Gen5)"),
      sim::p_bw("write_bw", "4GB/s",
                "nvme: sequential write bandwidth of the drive's media (vendor figure; est.)"),
      sim::p_time("io_latency", "80us",
                  "nvme: command latency of a large read before its data moves (est.)"),
  };
  return p;
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
      if (bw <= 0) bw = pcie_link_bw(d.i("gen"), d.i("width"), d.d("efficiency"));
    } else if (bw <= 0) {
      d.where("bw").fail("a positive bandwidth for a " + link + " link", "0");
    }
    const bool sw = d.s("kind") == "pcie_switch";
    VertexId v = g.add_node({name, sw ? NodeKind::Switch : NodeKind::Device, d.s("kind"),
                             g.node(*at).socket, static_cast<int>(*at), sw, std::nullopt});
    g.add_link(*at, v, kind, bw, bw, d.time("latency"), name + ".down", name + ".up");
    if (d.s("kind") == "nvme") {
      // The drive's media and controller: reads and writes have rates of their own.
      for (const char* key : {"read_bw", "write_bw"})
        if (d.bw(key) <= 0) d.where(key).fail("a positive bandwidth", "0");
      m.flows().add_link(name + ".read", d.bw("read_bw"), d.time("io_latency"));
      m.flows().add_link(name + ".write", d.bw("write_bw"), d.time("io_latency"));
    }
  }
}

std::optional<LinkId> find_flow_link(const sim::FlowNetwork& f, const std::string& name) {
  for (LinkId l = 0; l < f.link_count(); ++l)
    if (f.link_name(l) == name) return l;
  return std::nullopt;
}

[[maybe_unused]] const bool kDevicesSection = register_machine_section(
    {"devices", &device_params, true,
     "PCIe switches, NVMe drives, NICs and other devices with their links", &build_devices, 20});

}  // namespace

// Bytes/s per lane and direction after line encoding (8b/10b, 128b/130b, FLIT for Gen6).
double pcie_link_bw(std::int64_t gen, std::int64_t width, double efficiency) {
  static const double rate[] = {0.25e9, 0.5e9, 0.985e9, 1.969e9, 3.938e9, 7.563e9};
  return rate[gen - 1] * static_cast<double>(width) * efficiency;
}

std::vector<NvmeDrive> nvme_drives(Machine& m) {
  std::vector<NvmeDrive> out;
  for (const sim::Params& d : m.section_list("devices")) {
    if (d.s("kind") != "nvme") continue;
    auto read = find_flow_link(m.flows(), d.s("name") + ".read");
    auto write = find_flow_link(m.flows(), d.s("name") + ".write");
    if (!read || !write) throw sim::InternalError("nvme drive without its media links");
    out.push_back({d.s("name"), *m.graph().find(d.s("name")), *read, *write, d.time("io_latency")});
  }
  return out;
}

}  // namespace models
