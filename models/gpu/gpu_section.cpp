// The machine file's "gpus", "nvswitches" and "gpu_links" sections and their builders.
#include <algorithm>
#include <string>

#include "models/gpu/gpu.h"
#include "models/machine/devices.h"
#include "sim/error.h"
#include "sim/units.h"

namespace models {

const sim::ParamList& gpu_params() {
  static const sim::ParamList p = {
      sim::p_string("name", nullptr, "GPU name, unique in the machine (e.g. gpu0)"),
      sim::p_string("attach", nullptr,
                    "the vertex its PCIe link goes to: an IO die (\"s0.iod\") or a PCIe switch"),
      sim::p_int("gen", 5, "PCIe generation of its host link", 1, 6),
      sim::p_int("width", 16, "PCIe lanes of its host link", 1, 32),
      sim::p_double("efficiency", 0.91,
                    "payload share of the PCIe link rate (256 B payloads, ~24 B of TLP and DLLP "
                    "overhead per packet; est.)",
                    0.05, 1.0),
      sim::p_time("link_latency", "150ns", "latency of one crossing of its PCIe link (est.)"),
      sim::p_size("hbm_capacity", "80GB", "HBM capacity (vendor)"),
      sim::p_bw("hbm_bw", "3.35TB/s", "HBM peak bandwidth (vendor: H100 SXM 3.35 TB/s)"),
      sim::p_double("hbm_efficiency", 0.9, "sustained share of HBM peak bandwidth (est.)", 0.05,
                    1.0),
      sim::p_time("hbm_latency", "350ns", "HBM load-to-use latency (measured on H100)"),
      sim::p_int("copy_engines", 2,
                 "copy engines the driver exposes for asynchronous copies (asyncEngineCount)", 1,
                 64),
      sim::p_bw("ce_bw", "0GB/s",
                "one copy engine's own rate cap; 0 = none: the engine keeps up with any link "
                "(est.)"),
      sim::p_time("ce_setup", "1us",
                  "engine time from doorbell to first byte (est.; with submit_cost and the "
                  "route's latency it makes the measured ~2.7 us fixed cost of a copy)"),
      sim::p_time("submit_cost", "1us",
                  "driver CPU time to build and submit one copy (est.; see ce_setup)"),
      sim::p_string("memory", "",
                    "APU: an existing memory node the GPU shares with the CPUs instead of an HBM "
                    "of its own (its link to `attach` is then the package fabric at that node's "
                    "bandwidth; the PCIe and hbm_* keys are unused)"),
      sim::p_double("fp16_tflops", 989.0,
                    "dense fp16 tensor peak in TFLOP/s (vendor), for kernel durations", 0.0, 1e5),
      sim::p_double("compute_efficiency", 0.7,
                    "share of the tensor peak a kernel's FLOPs reach when no kernel gives its own "
                    "(est.: large dense GEMMs)",
                    0.01, 1.0),
      sim::p_time("launch_cost", "4.6us",
                  "driver CPU time of one kernel launch (H100: 4.6 us per back-to-back launch, "
                  "measured)"),
      sim::p_time("launch_latency", "5.6us",
                  "from the launch's end on the CPU until the GPU runs the kernel, with the "
                  "completion's way back (H100: launch + sync round trip 10.2 us measured, minus "
                  "launch_cost)"),
  };
  return p;
}

namespace {

const sim::ParamList& nvswitch_params() {
  static const sim::ParamList p = {
      sim::p_string("name", nullptr, "switch name, unique in the machine (e.g. nvsw0)"),
      sim::p_string("doc", "", "what the switch stands for (e.g. the 4 NVSwitch chips of a DGX)"),
      sim::p_bool("reduction", false,
                  "the switch reduces in the fabric (NVLink SHARP, third-generation NVSwitch "
                  "of H100 systems): collectives may use the nvls algorithm"),
  };
  return p;
}

const sim::ParamList& gpu_link_params() {
  static const sim::ParamList p = {
      sim::p_string("a", nullptr, "one end: a GPU or an NVSwitch"),
      sim::p_string("b", nullptr, "the other end: a GPU or an NVSwitch"),
      sim::p_choice("kind", "nvlink", {"nvlink", "xgmi"}, "link technology"),
      sim::p_int("links", 1, "links bundled between the two ends", 1, 64),
      sim::p_bw("link_bw", "25GB/s",
                "bandwidth of one link per direction (NVLink3/4: 25 GB/s; XGMI est. 64 GB/s)"),
      sim::p_time("latency", "100ns",
                  "latency of one crossing (est.; below a PCIe switch's two crossings, so that "
                  "routes prefer NVLink as the driver does)"),
  };
  return p;
}

void build_nvswitches(Machine& m, const std::vector<sim::Params>& list) {
  for (const sim::Params& s : list) {
    if (m.graph().find(s.s("name")))
      s.where("name").fail("a name no other part of the machine has", "\"" + s.s("name") + "\"");
    m.graph().add_node({s.s("name"), NodeKind::Switch, "nvswitch", -1, -1, true, std::nullopt});
  }
}

void build_gpus(Machine& m, const std::vector<sim::Params>& list) {
  MachineGraph& g = m.graph();
  for (const sim::Params& d : list) {
    const std::string& name = d.s("name");
    if (g.find(name) || g.find(name + ".hbm"))
      d.where("name").fail("a name no other part of the machine has", "\"" + name + "\"");
    auto at = g.find(d.s("attach"));
    if (!at || (g.node(*at).kind != NodeKind::IoDie && g.node(*at).detail != "pcie_switch"))
      d.where("attach").fail("an IO die (s0.iod ...) or a PCIe switch of the devices list",
                             "\"" + d.s("attach") + "\"");
    if (d.bw("hbm_bw") <= 0) d.where("hbm_bw").fail("a positive bandwidth", "0");
    if (d.size("hbm_capacity") == 0) d.where("hbm_capacity").fail("a positive size", "0");
    VertexId v = g.add_node({name, NodeKind::Device, "gpu", g.node(*at).socket,
                             static_cast<int>(*at), false, std::nullopt});
    if (!d.s("memory").empty()) {
      // An APU: compute dies on the package fabric next to the shared memory.
      const int node = m.node_by_name(d.s("memory"), d.where("memory"));
      const MemNode& n = m.nodes()[static_cast<std::size_t>(node)];
      if (g.node(*at).kind != NodeKind::IoDie || n.socket != g.node(*at).socket)
        d.where("memory").fail("a memory node of the socket whose IO die the APU attaches to",
                               "\"" + d.s("memory") + "\"");
      g.add_link(*at, v, "package", n.bandwidth, n.bandwidth, 0, name + ".down", name + ".up");
      continue;
    }
    const double bw = pcie_link_bw(d.i("gen"), d.i("width"), d.d("efficiency"));
    g.add_link(*at, v,
               "pcie-gen" + std::to_string(d.i("gen")) + "-x" + std::to_string(d.i("width")), bw,
               bw, d.time("link_latency"), name + ".down", name + ".up");
    m.add_memory_node(name + ".hbm", MemKind::Hbm, v, d.bw("hbm_bw") * d.d("hbm_efficiency"),
                      d.time("hbm_latency"), d.size("hbm_capacity"));
  }
}

void build_gpu_links(Machine& m, const std::vector<sim::Params>& list) {
  MachineGraph& g = m.graph();
  for (const sim::Params& l : list) {
    VertexId ends[2];
    const char* keys[2] = {"a", "b"};
    for (int i = 0; i < 2; ++i) {
      auto v = g.find(l.s(keys[i]));
      if (!v || (g.node(*v).detail != "gpu" && g.node(*v).detail != "nvswitch"))
        l.where(keys[i]).fail("a GPU of the gpus list or an NVSwitch of the nvswitches list",
                              "\"" + l.s(keys[i]) + "\"");
      ends[i] = *v;
    }
    if (ends[0] == ends[1]) l.where("b").fail("another end than a", "\"" + l.s("b") + "\"");
    if (l.bw("link_bw") <= 0) l.where("link_bw").fail("a positive bandwidth", "0");
    const double bw = static_cast<double>(l.i("links")) * l.bw("link_bw");
    const std::string base = l.s("kind") + "." + l.s("a") + "-" + l.s("b");
    g.add_link(ends[0], ends[1], l.s("kind"), bw, bw, l.time("latency"), base,
               l.s("kind") + "." + l.s("b") + "-" + l.s("a"));
  }
}

// For each GPU pair from the first GPU: the links a peer-to-peer copy crosses, its bottleneck
// and latency, so that `hetsim describe` shows which pairs talk over NVLink, a shared PCIe
// switch or the root complex.
void describe_gpus(const Machine& m, std::ostream& os) {
  const auto specs = gpu_specs(m);
  if (specs.size() < 2) return;
  const MachineGraph& g = m.graph();
  os << "      peer-to-peer routes from " << specs[0].name << " ("
     << sim::format_bandwidth(specs[0].link_bw) << (specs[0].apu ? " package" : " PCIe")
     << " link, " << sim::format_size(static_cast<double>(m.nodes()[specs[0].hbm].capacity))
     << (specs[0].apu ? " shared" : "") << " HBM):\n";
  for (std::size_t j = 1; j < specs.size(); ++j) {
    const auto& path = g.route(specs[0].vertex, m.nodes()[specs[j].hbm].vertex);
    double bottleneck = 0;
    std::string hops;
    for (LinkId l : path) {
      const double c = m.flows().capacity(l);
      bottleneck = bottleneck == 0 ? c : std::min(bottleneck, c);
      hops += (hops.empty() ? "" : " ") + m.flows().link_name(l);
    }
    os << "        -> " << specs[j].name << ": " << sim::format_bandwidth(bottleneck) << ", "
       << sim::format_time(g.route_latency(specs[0].vertex, m.nodes()[specs[j].hbm].vertex))
       << "  [" << hops << "]\n";
  }
}

[[maybe_unused]] const bool kSwitches = register_machine_section(
    {"nvswitches", &nvswitch_params, true, "NVSwitch fabrics that GPUs' NVLinks meet in",
     &build_nvswitches, 25});
[[maybe_unused]] const bool kGpus = register_machine_section(
    {"gpus", &gpu_params, true, "GPUs: PCIe link, HBM, copy engines, compute peak", &build_gpus, 30,
     &describe_gpus});
[[maybe_unused]] const bool kGpuLinks = register_machine_section(
    {"gpu_links", &gpu_link_params, true,
     "NVLink / XGMI links between GPUs or from a GPU to an NVSwitch", &build_gpu_links, 35});

}  // namespace

std::vector<GpuSpec> gpu_specs(const Machine& m) {
  std::vector<GpuSpec> out;
  for (const sim::Params& d : m.section_list("gpus")) {
    GpuSpec s;
    s.name = d.s("name");
    s.vertex = *m.graph().find(s.name);
    s.hbm = -1;
    s.apu = !d.s("memory").empty();
    const std::string hbm = s.apu ? d.s("memory") : s.name + ".hbm";
    for (const MemNode& n : m.nodes())
      if (n.name == hbm) s.hbm = n.id;
    s.copy_engines = static_cast<int>(d.i("copy_engines"));
    s.ce_bw = d.bw("ce_bw");
    s.ce_setup = d.time("ce_setup");
    s.submit_cost = d.time("submit_cost");
    s.peak_flops = d.d("fp16_tflops") * 1e12;
    s.compute_efficiency = d.d("compute_efficiency");
    s.launch_cost = d.time("launch_cost");
    s.launch_latency = d.time("launch_latency");
    s.link_bw = s.apu && s.hbm >= 0 ? m.nodes()[static_cast<std::size_t>(s.hbm)].bandwidth
                                    : pcie_link_bw(d.i("gen"), d.i("width"), d.d("efficiency"));
    out.push_back(s);
  }
  return out;
}

}  // namespace models
